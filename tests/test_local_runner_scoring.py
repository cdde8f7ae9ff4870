"""The local runner scores each distinct (harness, item, answer) once: scorers are deterministic."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from mapelite.harnesses.base import Item
from runners.local import ScoreCache


def counting_item(calls: list[str], *, fail_on: str | None = None) -> Item:
    lock = threading.Lock()

    def score(answer: str) -> float:
        with lock:
            calls.append(answer)
        time.sleep(0.02)  # long enough for concurrent requests to overlap
        if answer == fail_on:
            raise RuntimeError("scorer bug")
        return 1.0 if answer == "right" else 0.0

    return Item(id="i1", prompt="p", reference="right", near_miss="wrong", score=score)


async def test_identical_answers_are_scored_once_even_when_requested_concurrently():
    calls: list[str] = []
    item = counting_item(calls)
    cache = ScoreCache()
    scores = await asyncio.gather(
        *(cache.score(0, item, "right") for _ in range(10)), cache.score(0, item, "wrong")
    )
    assert scores == [1.0] * 10 + [0.0]
    assert sorted(calls) == ["right", "wrong"]
    assert await cache.score(0, item, "right") == 1.0
    assert len(calls) == 2


async def test_the_same_answer_to_another_harness_is_scored_again():
    calls: list[str] = []
    item = counting_item(calls)
    cache = ScoreCache()
    await cache.score(0, item, "right")
    await cache.score(1, item, "right")
    assert calls == ["right", "right"]


async def test_a_failing_scorer_is_not_remembered():
    calls: list[str] = []
    item = counting_item(calls, fail_on="boom")
    cache = ScoreCache()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="scorer bug"):
            await cache.score(0, item, "boom")
    assert calls == ["boom", "boom"]


async def test_the_cache_keeps_at_most_its_capacity_dropping_the_oldest():
    calls: list[str] = []
    item = counting_item(calls)
    cache = ScoreCache(capacity=2)
    for answer in ("a", "b", "c", "c", "b", "a"):
        await cache.score(0, item, answer)
    assert calls == ["a", "b", "c", "a"]  # "a" was dropped when "c" came in
