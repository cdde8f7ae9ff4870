"""The local model server itself: protocols, scripting, counting, standalone process."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx

from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


def test_unscripted_model_answers_ok_with_usage(model_server: ModelServer):
    body = httpx.post(f"{model_server.base_url}/chat/completions", json=CHAT).json()
    assert body["choices"][0]["message"]["content"] == "OK"
    assert body["usage"]["prompt_tokens"] >= 1 and "cost" not in body["usage"]


def test_ollama_chat_is_served_at_api_chat(model_server: ModelServer):
    body = httpx.post(f"{model_server.ollama_url}/api/chat", json=CHAT).json()
    assert body["message"]["content"] == "OK" and body["done"] is True
    assert body["eval_count"] >= 1 and body["prompt_eval_count"] >= 1


def test_fault_sequence_applies_to_the_first_requests_then_answers(model_server: ModelServer):
    model_server.script(
        "m", ModelScript(fault_sequence=[Fault.rate_limit("2"), Fault("server_error")])
    )
    url = f"{model_server.base_url}/chat/completions"
    first, second, third = (httpx.post(url, json=CHAT) for _ in range(3))
    assert (first.status_code, first.headers["Retry-After"]) == (429, "2")
    assert second.status_code == 500
    assert third.status_code == 200
    log = model_server.stats("m").log
    assert [entry.status for entry in log] == [429, 500, 200]
    assert log[0].arrival_s <= log[1].arrival_s <= log[2].arrival_s
    assert log[0].key == log[2].key  # same messages, same key: retries are recognisable


def test_fault_rate_is_reproducible_from_the_seed():
    def statuses() -> list[int]:
        with ModelServer() as server:
            server.script("m", ModelScript(fault=Fault("unavailable"), fault_rate=0.3, seed=7))
            url = f"{server.base_url}/chat/completions"
            return [httpx.post(url, json=CHAT).status_code for _ in range(40)]

    first = statuses()
    assert first == statuses()
    assert 3 <= first.count(503) <= 25


async def test_counts_requests_and_max_in_flight_per_model():
    with ModelServer(latency_s=0.2) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            await asyncio.gather(*(client.post("/chat/completions", json=CHAT) for _ in range(5)))
        stats = server.stats("m")
    assert stats.requests == 5
    assert stats.max_in_flight == 5
    assert stats.in_flight == 0


def test_cost_is_reported_in_usage_when_configured(model_server: ModelServer):
    model_server.script("m", ModelScript(answer="x", cost_usd=0.5))
    body = httpx.post(f"{model_server.base_url}/chat/completions", json=CHAT).json()
    assert body["usage"]["cost"] == 0.5


def test_standalone_process_prints_its_port_and_serves():
    process = subprocess.Popen(
        [sys.executable, "-m", "mapelite.testing.model_server", "--port", "0", "--latency", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        response = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=CHAT)
        assert response.json()["choices"][0]["message"]["content"] == "OK"
        stats = httpx.get(f"http://127.0.0.1:{port}/_stats").json()
        assert stats["m"]["requests"] == 1
    finally:
        process.terminate()
        process.wait(10)


def test_default_answer_is_the_reference_of_a_recognised_harness_item(model_server: ModelServer):
    from mapelite.harnesses import get_harness

    item = get_harness(7).items[2]
    wrapped = {
        "model": "m",
        "messages": [{"role": "user", "content": f"{item.prompt}\n\nAnother agent answered..."}],
    }
    body = httpx.post(f"{model_server.base_url}/chat/completions", json=wrapped).json()
    assert body["choices"][0]["message"]["content"] == item.reference


def test_a_rate_window_refuses_with_retry_after_and_counts_what_it_refused(
    model_server: ModelServer,
):
    model_server.script("a:free", ModelScript(rate_limit=(2, 30.0), rate_group="free"))
    model_server.script("b:free", ModelScript(rate_limit=(2, 30.0), rate_group="free"))
    url = f"{model_server.base_url}/chat/completions"
    statuses = [
        httpx.post(url, json={**CHAT, "model": name})
        for name in ("a:free", "b:free", "a:free", "b:free")
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429, 429], "one account-wide window"
    assert 1 <= int(statuses[2].headers["Retry-After"]) <= 30
    assert model_server.stats("a:free").rate_limited == 1
    assert model_server.stats("a:free").busiest_window(30.0) == 1


def test_routing_picks_the_provider_and_an_unmeetable_pin_is_503(model_server: ModelServer):
    model_server.script("m", ModelScript(providers=("OpenAI", "Azure")))
    url = f"{model_server.base_url}/chat/completions"
    turns = [httpx.post(url, json=CHAT).json()["provider"] for _ in range(2)]
    pinned = httpx.post(url, json={**CHAT, "provider": {"order": ["Azure"]}}).json()
    refused = httpx.post(
        url, json={**CHAT, "provider": {"order": ["Groq"], "allow_fallbacks": False}}
    )
    assert turns == ["OpenAI", "Azure"] and pinned["provider"] == "Azure"
    assert refused.status_code == 503
