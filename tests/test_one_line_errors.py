"""Every provider error, and every settings or catalog validation error, is one line naming what
to fix, and a non-zero exit; never a traceback. Checked on the real command and file system."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import Settings, get_settings
from mapelite.errors import EXIT_INPUT, EXIT_PROVIDER, ConfigError, MapEliteError
from mapelite.providers.errors import AuthError, ProviderError, ProviderUnavailableError
from mapelite.testing.model_server import ModelServer
from tests.flow_helpers import map_elite, one_error_line, sha256_of
from tests.support.model_server_fixtures import TEST_KEY


def test_provider_errors_are_mapelite_errors_with_the_provider_exit_code():
    for error in (AuthError("x", provider="openrouter"), ProviderUnavailableError("y")):
        assert isinstance(error, ProviderError) and isinstance(error, MapEliteError)
        assert error.exit_code == EXIT_PROVIDER


def test_a_negative_price_in_the_catalog_override_is_one_line_naming_file_and_field(
    mapelite_home: Path,
):
    override = mapelite_home / "catalog.json"
    models = [{"id": "openai/ok"}, {"id": "openai/cheap", "input_price_per_m": -1}]
    override.write_text(json.dumps({"models": models, "tiers": {}}))
    with pytest.raises(ConfigError) as caught:
        load_catalog()
    assert str(caught.value) == (
        f"catalog {override} is not valid: models[1] (openai/cheap).input_price_per_m: "
        "Input should be greater than or equal to 0"
    )
    done = map_elite("models", MAPELITE_HOME=str(mapelite_home))
    assert done.returncode == EXIT_INPUT
    line = one_error_line(done)
    assert str(override) in line and "input_price_per_m" in line


def test_mapelite_home_that_is_a_regular_file_is_an_error_not_a_fallback(tmp_path: Path):
    home = tmp_path / "home-file"
    home.write_text("not a directory")
    with pytest.raises(ValueError, match="is not a directory"):
        Settings(home=home)
    done = map_elite("models", MAPELITE_HOME=str(home))
    assert done.returncode == EXIT_INPUT
    assert one_error_line(done) == (
        f"error: invalid MAPELITE_HOME: {home} is not a directory; point it at a directory"
    )


def test_models_refresh_against_a_refused_connection_is_one_line_and_writes_nothing(
    mapelite_home: Path,
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    done = map_elite(
        "models", "refresh", MAPELITE_HOME=str(mapelite_home), MAPELITE_OPENROUTER_BASE_URL=url
    )
    assert done.returncode == EXIT_PROVIDER
    assert f"openrouter at {url} is unreachable" in one_error_line(done)
    assert not (mapelite_home / "catalog.json").exists()


def test_models_refresh_with_a_refused_key_is_one_line_without_the_key(mapelite_home: Path):
    with ModelServer(require_key="the-right-key") as server:
        done = map_elite(
            "models",
            "refresh",
            MAPELITE_HOME=str(mapelite_home),
            MAPELITE_OPENROUTER_BASE_URL=server.base_url,
            MAPELITE_OPENROUTER_API_KEY=TEST_KEY,
        )
        assert server.total_stats().requests == 0, "no model call"
    assert done.returncode == EXIT_PROVIDER
    line = one_error_line(done)
    assert "HTTP 401" in line and "OPENROUTER_API_KEY" in line and TEST_KEY not in line
    assert not (mapelite_home / "catalog.json").exists()
    assert get_settings().home == mapelite_home


@pytest.mark.parametrize("server", ["refused", "silent"])
def test_eval_with_no_ollama_server_exits_4_in_one_line_and_writes_nothing(
    mapelite_home: Path, server: str
):
    """``refused``: nothing listens on the port. ``silent``: a socket takes the connection and
    never answers, so only the connect timeout (2 s here) ends the check; the call timeout (60 s,
    4 attempts) or the harness run's (300 s) would take minutes."""
    from mapelite.ledger.chain import Ledger
    from mapelite.schemas import HarnessResult, ResultMetadata, Scores

    model = "ollama/x"
    ledger = Ledger(mapelite_home / "ledger.jsonl")
    ledger.append(
        HarnessResult(
            harness_id=0,
            harness_name="SENSE",
            model=model,
            scores=Scores(raw=6, normalized=1),
            metadata=ResultMetadata(run_id="earlier", unit_key="earlier/h0"),
        )
    )
    before = sha256_of(ledger.path)
    profile = map_elite("profile", model, "--format", "json")
    assert profile.returncode == 0 and '"model": "ollama/x"' in profile.stdout
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        if server == "silent":
            listener.listen(8)  # connections complete in the backlog; nothing ever answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        if server == "refused":
            listener.close()
        started = time.monotonic()
        done = map_elite(
            "eval", model, "-H", "0", "--yes",
            MAPELITE_OLLAMA_BASE_URL=url, MAPELITE_CONNECT_TIMEOUT_S="2",
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert done.returncode == EXIT_PROVIDER
    assert one_error_line(done) == (
        f"error: ollama at {url} is unreachable: set MAPELITE_OLLAMA_BASE_URL or start the server"
    )
    assert elapsed < 60, "ended by the connect timeout, not by a call or run timeout"
    assert sha256_of(ledger.path) == before, "no ledger entry"
    again = map_elite("profile", model, "--format", "json")
    assert again.stdout == profile.stdout, "the model's profile is unchanged"
