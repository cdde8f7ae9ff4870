"""The preflight: every distinct endpoint answers its cheapest request and takes its key before
any model call; a failure is one line naming the setting to fix, and nothing is written."""

from __future__ import annotations

import hashlib
import socket
import time

import pytest

from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.errors import EXIT_PROVIDER, MapEliteError
from mapelite.providers.preflight import PreflightError, preflight_endpoints
from mapelite.testing.model_server import ModelServer
from tests.support.model_server_fixtures import TEST_KEY, server_settings

MODELS = ["openrouter/openai/gpt-5-nano", "openai/local", "ollama/llama3.2:1b", "mockllm/a"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_each_distinct_endpoint_gets_one_check_request_and_no_model_call(
    model_server: ModelServer,
):
    settings = server_settings(model_server)
    endpoints = await preflight_endpoints([*MODELS, "openai/other"], settings)
    assert sorted(e.provider for e in endpoints) == ["mockllm", "ollama", "openai", "openrouter"]
    # openai and openrouter share the server's /v1 here: /models once, /key once.
    assert model_server.check_requests("/v1/models") == 1
    assert model_server.check_requests("/v1/key") == 1
    assert model_server.check_requests("/api/tags") == 1
    assert model_server.total_stats().requests == 0


async def test_unreachable_ollama_is_one_line_naming_the_setting_within_the_connect_timeout():
    url = f"http://127.0.0.1:{closed_port()}"
    settings = get_settings().model_copy(update={"ollama_base_url": url, "connect_timeout_s": 2})
    started = time.monotonic()
    with pytest.raises(PreflightError) as caught:
        await preflight_endpoints(["ollama/llama3.2:1b"], settings)
    assert time.monotonic() - started < 2 + 1
    message = str(caught.value)
    assert message == (
        f"ollama at {url} is unreachable: set MAPELITE_OLLAMA_BASE_URL or start the server"
    )
    assert isinstance(caught.value, MapEliteError) and caught.value.exit_code == EXIT_PROVIDER


async def test_a_refused_openrouter_key_names_the_key_setting_and_never_shows_the_key():
    with ModelServer(require_key="the-right-key") as server:
        settings = server_settings(server)  # presents TEST_KEY, which the server refuses
        with pytest.raises(PreflightError) as caught:
            await preflight_endpoints(["openrouter/openai/gpt-5-nano"], settings)
        assert server.check_requests("/v1/key") == 1
        assert server.total_stats().requests == 0
    message = str(caught.value)
    assert "refused the key (HTTP 401)" in message
    assert "check MAPELITE_OPENROUTER_API_KEY (or OPENROUTER_API_KEY)" in message
    assert TEST_KEY not in message and "\n" not in message


async def test_every_failing_endpoint_is_named_in_the_one_line():
    settings = get_settings().model_copy(
        update={
            "ollama_base_url": f"http://127.0.0.1:{closed_port()}",
            "openai_base_url": f"http://127.0.0.1:{closed_port()}/v1",
        }
    )
    with pytest.raises(PreflightError) as caught:
        await preflight_endpoints(["ollama/x", "openai/y", "mockllm/z"], settings)
    assert len(caught.value.problems) == 2
    assert "MAPELITE_OLLAMA_BASE_URL" in str(caught.value)
    assert "MAPELITE_OPENAI_BASE_URL" in str(caught.value)


async def test_a_server_that_is_not_a_model_server_is_named_with_its_url_setting(
    model_server: ModelServer,
):
    # The model server's root is not an OpenAI base URL: /models is not there (404).
    settings = server_settings(model_server, openai_base_url=model_server.root_url)
    with pytest.raises(PreflightError) as caught:
        await preflight_endpoints(["openai/m"], settings)
    assert "answered HTTP 404" in str(caught.value)
    assert "set MAPELITE_OPENAI_BASE_URL" in str(caught.value)


async def test_the_simulator_needs_no_check_request(model_server: ModelServer):
    settings = server_settings(model_server)
    endpoints = await preflight_endpoints(["mockllm/a", "mockllm/b"], settings)
    assert [e.provider for e in endpoints] == ["mockllm"]
    assert model_server.check_requests() == 0


@pytest.mark.prefect
async def test_eval_with_no_ollama_server_writes_nothing_and_makes_no_call(
    prefect_api, monkeypatch
):
    from flows.eval import eval_flow

    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("MAPELITE_OLLAMA_BASE_URL", url)
    monkeypatch.setenv("MAPELITE_PREFECT_GLOBAL_LIMITS", "false")
    get_settings.cache_clear()
    ledger = get_settings().ledger
    ledger.write_bytes(b"")
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    started = time.monotonic()
    with pytest.raises(PreflightError, match="MAPELITE_OLLAMA_BASE_URL"):
        await eval_flow("ollama/llama3.2:1b", harness="0", options=RunOptions(bank="core"))
    assert time.monotonic() - started < get_settings().connect_timeout_s + 5
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before
