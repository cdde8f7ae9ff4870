"""ollama/…: /api/chat non-streaming, token counts from its own fields, limit keyed by URL."""

from __future__ import annotations

import pytest

from mapelite.config.settings import Settings
from mapelite.providers import create_model_api
from mapelite.providers.base import ChatMessage, GenerateRequest
from mapelite.providers.errors import BadResponseError
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from tests.support.model_server_fixtures import server_settings


def ask() -> GenerateRequest:
    return GenerateRequest(
        model="llama3.2:1b",
        messages=(
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="user", content="Name a colour."),
        ),
        max_tokens=16,
        timeout_s=5,
    )


async def test_chat_answer_and_token_counts_come_from_ollama_fields(model_server: ModelServer):
    model_server.script("llama3.2:1b", ModelScript(answer="blue"))
    api = create_model_api("ollama/llama3.2:1b", server_settings(model_server))
    try:
        response = await api.generate(ask())
    finally:
        await api.aclose()
    assert response.text == "blue"
    assert response.tokens_in == len("Be brief.Name a colour.") // 4
    assert response.tokens_out == 1
    assert model_server.stats("llama3.2:1b").requests == 1


async def test_error_string_in_body_is_an_error_not_an_answer(model_server: ModelServer):
    model_server.script("llama3.2:1b", ModelScript(fault_sequence=[Fault("error_object")]))
    api = create_model_api("ollama/llama3.2:1b", server_settings(model_server))
    try:
        with pytest.raises(BadResponseError) as caught:
            await api.generate(ask())
    finally:
        await api.aclose()
    assert "upstream error" in str(caught.value)


def test_two_ollama_hosts_do_not_share_a_connection_limit():
    one = create_model_api("ollama/a", Settings(ollama_base_url="http://10.0.0.1:11434"))
    two = create_model_api("ollama/a", Settings(ollama_base_url="http://10.0.0.2:11434"))
    assert one.connection_key() != two.connection_key()
    assert one.connection_key().startswith("ollama:")
