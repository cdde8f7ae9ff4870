"""Reasoning on the wire: what each protocol sends for a setting, what it reads back, and the
model server behaving as OpenRouter documents reasoning models (thinking counts toward
``max_tokens``; medium effort when no ``reasoning`` object is sent)."""

from __future__ import annotations

import httpx
import pytest

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import Settings
from mapelite.providers import create_model_api
from mapelite.providers.base import ChatMessage, GenerateRequest
from mapelite.providers.errors import BadResponseError
from mapelite.providers.reasoning import (
    DEFAULT_EVALUATION_SETTING,
    effective_reasoning,
    request_max_tokens,
    separate_thinking,
)
from mapelite.schemas import ReasoningSetting
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from tests.support.model_server_fixtures import server_settings

NANO = "openrouter/openai/gpt-5-nano"
HELLO = (ChatMessage(role="user", content="What is 2 + 2? End with ANSWER: <n>."),)


def _request(
    max_tokens: int | None, reasoning: str | None = None, **fields: object
) -> GenerateRequest:
    setting = ReasoningSetting.parse(reasoning) if reasoning is not None else None
    values: dict[str, object] = {"model": "openai/gpt-5-nano", **fields}
    return GenerateRequest.model_validate(
        {"messages": HELLO, "max_tokens": max_tokens, "reasoning": setting, **values}
    )


@pytest.fixture
def reasoner(model_server: ModelServer) -> ModelServer:
    model_server.script(
        "openai/gpt-5-nano",
        ModelScript(
            answer="2 + 2 = 4.\n\nANSWER: 4",
            reasons=True,
            prices_per_m=(0.05, 0.4),
            providers=("OpenAI", "Azure"),
        ),
    )
    return model_server


def test_with_no_reasoning_sent_the_default_effort_eats_the_budget_and_is_billed(reasoner):
    body = {"model": "openai/gpt-5-nano", "messages": [m.model_dump() for m in HELLO]}
    reply = httpx.post(f"{reasoner.base_url}/chat/completions", json={**body, "max_tokens": 256})
    choice, usage = reply.json()["choices"][0], reply.json()["usage"]
    assert choice["message"]["content"] == ""
    assert (choice["finish_reason"], choice["native_finish_reason"]) == (
        "length",
        "max_output_tokens",
    )
    assert usage["completion_tokens"] == usage["completion_tokens_details"]["reasoning_tokens"]
    assert usage["cost"] == pytest.approx((usage["prompt_tokens"] * 0.05 + 256 * 0.4) / 1e6)
    assert reasoner.stats("openai/gpt-5-nano").billed_usd == pytest.approx(usage["cost"])


async def test_openrouter_sends_the_reasoning_object_and_routing_and_reads_everything_back(
    reasoner,
):
    api = create_model_api(NANO, server_settings(reasoner))
    try:
        response = await api.generate(
            _request(
                request_max_tokens(256, ReasoningSetting.parse("low")),
                "low",
                routing={"order": ["Azure"], "allow_fallbacks": False},
            )
        )
    finally:
        await api.aclose()
    sent = reasoner.stats("openai/gpt-5-nano").log[0].fields
    assert sent["reasoning"] == {"effort": "low"} and sent["max_tokens"] == 256 + 2048
    assert sent["provider"] == {"order": ["Azure"], "allow_fallbacks": False}
    assert "usage" not in sent, "the deprecated usage switch is not sent"
    assert response.text == "2 + 2 = 4.\n\nANSWER: 4" and response.finish_reason == "stop"
    assert response.native_finish_reason == "completed" and response.served_by == "Azure"
    assert response.reasoning_tokens > 0 and response.thinking
    assert response.tokens_out > response.reasoning_tokens
    assert response.cost_usd == pytest.approx(reasoner.stats("openai/gpt-5-nano").billed_usd)


@pytest.mark.parametrize(
    ("setting", "sent"),
    [
        ("off", {"effort": "none"}),
        ("high", {"effort": "high"}),
        ("3000", {"max_tokens": 3000}),
    ],
)
async def test_each_setting_is_sent_as_openrouter_documents_it(reasoner, setting, sent):
    api = create_model_api(NANO, server_settings(reasoner))
    try:
        await api.generate(_request(64, setting))
    finally:
        await api.aclose()
    assert reasoner.stats("openai/gpt-5-nano").log[0].fields["reasoning"] == sent


async def test_a_reply_cut_off_while_reasoning_is_an_empty_answer_not_an_error(reasoner):
    api = create_model_api(NANO, server_settings(reasoner))
    try:
        response = await api.generate(_request(128))  # no reasoning object: medium effort
    finally:
        await api.aclose()
    assert response.text == "" and response.finish_reason == "length"
    assert response.native_finish_reason == "max_output_tokens"
    assert response.reasoning_tokens == response.tokens_out == 128


async def test_an_empty_answer_not_cut_off_is_a_bad_response_that_carries_its_billed_usage(
    reasoner,
):
    reasoner.script(
        "openai/gpt-5-nano",
        ModelScript(
            reasons=True, prices_per_m=(0.05, 0.4), fault_sequence=[Fault("empty_content")]
        ),
    )
    api = create_model_api(NANO, server_settings(reasoner))
    try:
        with pytest.raises(BadResponseError) as raised:
            await api.generate(_request(4096, "low"))
    finally:
        await api.aclose()
    assert raised.value.billed is not None and raised.value.billed.cost_usd
    assert raised.value.billed.cost_usd == pytest.approx(
        reasoner.stats("openai/gpt-5-nano").billed_usd
    )


async def test_openai_compatible_servers_get_reasoning_effort_and_their_think_blocks_split(
    model_server: ModelServer,
):
    model_server.script("qwen3", ModelScript(answer="ANSWER: 4", thinks_in_content=True))
    api = create_model_api("openai/qwen3", server_settings(model_server))
    try:
        response = await api.generate(
            _request(request_max_tokens(64, ReasoningSetting.parse("low")), "low", model="qwen3")
        )
    finally:
        await api.aclose()
    assert model_server.stats("qwen3").log[0].fields["reasoning_effort"] == "low"
    assert response.text == "ANSWER: 4"
    assert response.thinking is not None and response.thinking.startswith("Let me work")


@pytest.mark.parametrize(("think", "where"), [(None, "content"), (True, "thinking")])
async def test_ollama_thinking_comes_apart_from_the_answer_either_way(
    model_server: ModelServer, think: bool | None, where: str
):
    model_server.script("qwen3", ModelScript(answer="ANSWER: 4", thinks_in_content=True))
    api = create_model_api("ollama/qwen3", server_settings(model_server))
    setting = "low" if think else None
    try:
        response = await api.generate(_request(4096, setting, model="qwen3"))
    finally:
        await api.aclose()
    sent = model_server.stats("qwen3").log[0].fields
    assert sent.get("think") is think
    assert response.text == "ANSWER: 4" and response.thinking
    assert response.finish_reason == "stop"


async def test_a_think_block_left_open_at_the_budget_leaves_no_answer(model_server: ModelServer):
    model_server.script("qwen3", ModelScript(answer="ANSWER: 4", thinks_in_content=True))
    api = create_model_api("openai/qwen3", server_settings(model_server))
    try:
        response = await api.generate(_request(64, model="qwen3"))
    finally:
        await api.aclose()
    assert response.text == "" and response.finish_reason == "length"
    assert response.thinking and "ANSWER: 4" not in response.thinking


@pytest.mark.parametrize(
    ("content", "answer", "thinking"),
    [
        ("<think>maybe 12</think>\nANSWER: 14", "ANSWER: 14", "maybe 12"),
        ("<THINKING>a</THINKING>x <reasoning>b</reasoning>y", "x y", "a\n\nb"),
        ("<think>ANSWER: 12 and so on", "", "ANSWER: 12 and so on"),
        ("ANSWER: 12</think>ANSWER: 14", "ANSWER: 14", "ANSWER: 12"),
        ("ANSWER: 14", "ANSWER: 14", None),
    ],
)
def test_thinking_blocks_never_stay_in_the_answer(content, answer, thinking):
    assert separate_thinking(content) == (answer, thinking)


def test_the_setting_used_is_explicit_then_config_then_the_default_for_a_reasoning_model(
    tmp_path,
):
    config = tmp_path / "mapelite.toml"
    config.write_text(
        f'[models."{NANO}"]\nreasoning = "high"\n\n[models."ollama/qwen3"]\nreasons = true\n'
    )
    settings = Settings(config_file=config)
    catalog = load_catalog()
    low = ReasoningSetting.parse("low")
    assert effective_reasoning(NANO, low, settings, catalog) == low
    assert effective_reasoning(NANO, None, settings, catalog) == ReasoningSetting.parse("high")
    assert effective_reasoning(NANO, None, Settings(), catalog) == DEFAULT_EVALUATION_SETTING
    assert effective_reasoning("ollama/qwen3", None, settings, catalog) == (
        DEFAULT_EVALUATION_SETTING
    )
    assert effective_reasoning("openrouter/openai/gpt-4o-mini", None, settings, catalog) is None
