"""Scoring answered items: scores computed once per (item, answer), the extracted answer the
scorer read, and the outcome record of an item."""

from __future__ import annotations

import asyncio
from typing import Any

from mapelite.harnesses.base import Item
from mapelite.schemas import ItemOutcome


def outcome_for(item: Item, **fields: Any) -> ItemOutcome:
    """An item's outcome, naming the item's id, bank, bank version and family."""
    return ItemOutcome(
        item_id=item.id,
        bank=item.bank,
        bank_version=item.bank_version,
        family=item.family,
        **fields,
    )


class ScoreCache:
    """Scores by (harness, item, answer), each computed once per runner and event loop.

    Scorers are deterministic (`mapelite.harnesses.base.Scorer`), and many models (or a swarm's
    agents) often give the very same answer; SHAPE's scorer runs a sandbox subprocess (about
    30 ms and 16 ms of CPU per answer), worth not repeating. Concurrent requests for one key
    share one scoring. Scorers may block, so they run in a worker thread.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = capacity
        self._scores: dict[ScoreKey, asyncio.Future[float]] = {}

    async def score(self, harness_id: int, item: Item, answer: str) -> float:
        # Item ids are unique within a bank version only (a user's file may reuse "sense-01").
        key = (harness_id, item.bank, item.bank_version, item.id, answer)
        scoring = self._scores.get(key)
        if scoring is None:
            if len(self._scores) >= self.capacity:
                del self._scores[next(iter(self._scores))]  # the oldest
            scoring = asyncio.ensure_future(asyncio.to_thread(item.score, answer))
            scoring.add_done_callback(lambda done: self._forget_failed(key, done))
            self._scores[key] = scoring
        # A cancelled caller (run timeout) must not cancel the scoring others wait for.
        return await asyncio.shield(scoring)

    def _forget_failed(self, key: ScoreKey, done: asyncio.Future[float]) -> None:
        if (done.cancelled() or done.exception() is not None) and self._scores.get(key) is done:
            del self._scores[key]


def extracted_answer(item: Item, answer: str) -> str | None:
    """The final answer the item's scorer reads in ``answer``, where the scorer exposes its
    extraction (``item.extract``); None otherwise."""
    extract = getattr(item, "extract", None)
    if not callable(extract):
        return None
    try:
        value = extract(answer)
    except Exception:  # extraction is a record, never a reason to lose the answer
        return None
    return value if isinstance(value, str) else None


ScoreKey = tuple[int, str, str, str, str]
