"""openrouter/…: key required, attribution headers, usage.cost, errors inside a 200 body."""

from __future__ import annotations

import pytest

from mapelite.config.settings import Settings
from mapelite.errors import ConfigError
from mapelite.providers import create_model_api
from mapelite.providers.base import ChatMessage, GenerateRequest
from mapelite.providers.errors import (
    AuthError,
    BadResponseError,
    OutOfCreditsError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from mapelite.providers.openrouter import fetch_models, fetch_models_async
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from tests.support.model_server_fixtures import TEST_KEY, server_settings

MODEL = "openai/gpt-5-nano"


def ask() -> GenerateRequest:
    return GenerateRequest(
        model=MODEL, messages=(ChatMessage(role="user", content="hi"),), timeout_s=5
    )


async def generate(server: ModelServer, settings: Settings | None = None):
    api = create_model_api(f"openrouter/{MODEL}", settings or server_settings(server))
    try:
        return await api.generate(ask())
    finally:
        await api.aclose()


async def test_usage_cost_reported_by_openrouter_is_read(model_server: ModelServer):
    model_server.script(MODEL, ModelScript(answer="fine", cost_usd=0.000123))
    response = await generate(model_server)
    assert response.text == "fine"
    assert response.cost_usd == pytest.approx(0.000123)
    assert response.tokens_in > 0 and response.tokens_out > 0


async def test_missing_usage_cost_leaves_cost_unknown(model_server: ModelServer):
    response = await generate(model_server)
    assert response.cost_usd is None


async def test_attribution_headers_are_sent(model_server: ModelServer):
    await generate(model_server)
    headers = model_server.stats(MODEL).log[0].headers
    assert headers["X-Title"] == "MAP-ELITE"
    assert headers["HTTP-Referer"].startswith("https://")


def test_missing_key_is_a_config_error_naming_the_setting():
    with pytest.raises(ConfigError) as caught:
        create_model_api(f"openrouter/{MODEL}", Settings())
    assert "MAPELITE_OPENROUTER_API_KEY" in str(caught.value)
    assert "OPENROUTER_API_KEY" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        (429, RateLimitedError),
        (502, ProviderUnavailableError),
        (402, OutOfCreditsError),
        (401, AuthError),
        (400, BadResponseError),
    ],
)
async def test_error_object_in_a_200_is_the_matching_error_not_an_answer(
    model_server: ModelServer, code: int, error_class: type
):
    model_server.script(MODEL, ModelScript(fault_sequence=[Fault("error_object", error_code=code)]))
    with pytest.raises(ProviderError) as caught:
        await generate(model_server)
    assert type(caught.value) is error_class


async def test_rejected_key_echoed_by_the_server_is_redacted():
    with ModelServer(require_key="the-right-key") as server, pytest.raises(AuthError) as caught:
        await generate(server)
    message = str(caught.value)
    assert TEST_KEY not in message
    assert "MAPELITE_OPENROUTER_API_KEY" in message
    assert TEST_KEY not in repr(caught.value.args)


async def test_fetch_models_returns_the_model_list(model_server: ModelServer):
    payload = {"data": [{"id": "openai/gpt-5-nano", "pricing": {"prompt": "0.00000005"}}]}
    model_server.models_payload = payload
    assert await fetch_models_async(server_settings(model_server)) == payload


def test_fetch_models_blocking_form_works_without_a_key(model_server: ModelServer):
    model_server.models_payload = {"data": []}
    settings = server_settings(model_server, openrouter_api_key=None)
    assert fetch_models(settings) == {"data": []}
