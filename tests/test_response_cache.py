"""The opt-in response cache: keyed on what changes an answer, filled from stored entries only,
and never passed off as a fresh measurement."""

from __future__ import annotations

import pytest

from flows.eval import eval_flow
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.providers.cache import CachedResponse, ResponseCache, cache_key
from mapelite.testing.scripts import ModelScript
from tests.flow_helpers import ledger_entries, use_model_server

KEY_PARTS = {
    "endpoint": "openai@http://127.0.0.1:1/v1",
    "model": "m",
    "messages": [("system", "s"), ("user", "u")],
    "max_tokens": 64,
    "temperature": 0.0,
    "seed": 0,
}


@pytest.mark.parametrize(
    "change",
    [
        {"endpoint": "openai@http://127.0.0.1:2/v1"},
        {"model": "m2"},
        {"messages": [("system", "s"), ("user", "u2")]},
        {"messages": [("user", "s"), ("user", "u")]},
        {"max_tokens": 65},
        {"temperature": 0.7},
        {"seed": 1},
    ],
)
def test_any_part_that_changes_an_answer_changes_the_key(change) -> None:
    assert cache_key(**{**KEY_PARTS, **change}) != cache_key(**KEY_PARTS)


def test_the_key_is_stable_across_calls() -> None:
    assert cache_key(**KEY_PARTS) == cache_key(**dict(KEY_PARTS))


def test_the_first_stored_answer_for_a_key_stays_and_clear_empties_the_cache(tmp_path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    first = CachedResponse(text="a", cost_usd=0.5, entry_hash="a" * 64)
    second = CachedResponse(text="b", cost_usd=0.7, entry_hash="b" * 64)
    assert cache.put_many([("k", first)]) == 1
    assert cache.put_many([("k", second)]) == 0
    assert cache.get("k") == first
    stats = cache.stats()
    assert stats.entries == 1 and stats.original_cost_usd == pytest.approx(0.5)
    assert cache.clear() == 1
    assert cache.get("k") is None and cache.stats().entries == 0


@pytest.mark.prefect
async def test_a_cached_rerun_makes_no_calls_and_points_at_the_original_entries(
    prefect_api, model_server, monkeypatch
) -> None:
    model_server.script("*", ModelScript(latency_s=0.0))
    use_model_server(monkeypatch, model_server)

    await eval_flow(
        "openai/cache-probe",
        harness="0,7",
        options=RunOptions(run_id="cache-1", cache=True, bank="core"),
    )
    first_calls = model_server.stats("cache-probe").requests
    originals = {e.harness_id: e for e in ledger_entries()}
    assert first_calls > 0
    assert not any(i.cached for e in originals.values() for i in e.metadata.items)

    await eval_flow(
        "openai/cache-probe",
        harness="0,7",
        options=RunOptions(run_id="cache-2", cache=True, bank="core"),
    )
    assert model_server.stats("cache-probe").requests == first_calls, "served from the cache"
    cached = [e for e in ledger_entries() if e.metadata.run_id == "cache-2"]
    assert len(cached) == 2
    for entry in cached:
        original = originals[entry.harness_id]
        for item, first in zip(entry.metadata.items, original.metadata.items, strict=True):
            assert item.cached and item.cost_usd == 0.0 and item.attempts == 0
            assert item.cached_from == original.hash
            assert item.original_cost_usd == pytest.approx(first.cost_usd)
            assert item.answer == first.answer and item.score == first.score

    await eval_flow(
        "openai/cache-probe", harness="0,7", options=RunOptions(run_id="cache-3", bank="core")
    )
    assert model_server.stats("cache-probe").requests == 2 * first_calls, "no --cache: calls again"
    fresh = [e for e in ledger_entries() if e.metadata.run_id == "cache-3"]
    assert not any(i.cached for e in fresh for i in e.metadata.items)
    assert ResponseCache.in_home(get_settings().home).stats().entries == first_calls
