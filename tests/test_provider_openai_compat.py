"""openai/<name>: any OpenAI-compatible server, exercised over real HTTP."""

from __future__ import annotations

from pydantic import SecretStr

from mapelite.providers import create_model_api
from mapelite.providers.base import ChatMessage, GenerateRequest
from mapelite.providers.errors import AuthError
from mapelite.providers.openai_compat import OpenAICompatAPI
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import ModelScript
from tests.support.model_server_fixtures import server_settings


def ask(model: str = "local-model", text: str = "Say hello.") -> GenerateRequest:
    return GenerateRequest(
        model=model,
        messages=(ChatMessage(role="user", content=text),),
        max_tokens=32,
        timeout_s=5,
    )


async def test_answer_and_usage_tokens_are_read_from_the_completion(model_server: ModelServer):
    model_server.script("local-model", ModelScript(answer="hello there"))
    api = create_model_api("openai/local-model", server_settings(model_server))
    try:
        response = await api.generate(ask())
    finally:
        await api.aclose()
    assert response.text == "hello there"
    assert response.tokens_in > 0 and response.tokens_out > 0
    assert response.cost_usd is None
    assert response.simulated is False
    assert model_server.stats("local-model").requests == 1


async def test_scripted_answers_rotate_per_request(model_server: ModelServer):
    model_server.script("m", ModelScript(answer=["one", "two"]))
    api = create_model_api("openai/m", server_settings(model_server))
    try:
        texts = [(await api.generate(ask("m"))).text for _ in range(3)]
    finally:
        await api.aclose()
    assert texts == ["one", "two", "one"]


async def test_configured_key_is_sent_as_bearer_token():
    with ModelServer(require_key="local-secret") as server:
        api = create_model_api(
            "openai/m", server_settings(server, openai_api_key=SecretStr("local-secret"))
        )
        try:
            response = await api.generate(ask("m"))
        finally:
            await api.aclose()
    assert response.text == "OK"


async def test_wrong_key_is_auth_error_naming_the_setting_not_the_key():
    with ModelServer(require_key="right-key") as server:
        api = OpenAICompatAPI(server.base_url, api_key=SecretStr("wrong-key-123"))
        try:
            error = None
            try:
                await api.generate(ask("m"))
            except AuthError as exc:
                error = exc
        finally:
            await api.aclose()
    assert error is not None and not error.retryable
    assert "MAPELITE_OPENAI_API_KEY" in str(error)
    assert "wrong-key-123" not in str(error)
