"""Ledger writes from inside the flow's event loop: results that complete together are
appended together (one file lock, one write, one fsync; see `mapelite.ledger.chain`).

A result is handed back only once it is on disk, so nothing a unit returned is lost by a crash
after that point. While one append is in flight, the results that arrive queue up and go in the
next one: under load an fsync covers many results, alone it covers one (no added latency).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from mapelite.errors import LedgerError
from mapelite.ledger.chain import Ledger
from mapelite.providers.cache import ResponseCache, responses_to_cache
from mapelite.schemas import HarnessResult

log = logging.getLogger("mapelite.tasks.ledger")

_Waiting = tuple[HarnessResult, "asyncio.Future[HarnessResult]"]


class LedgerAppender:
    """Coalescing appends to one ledger; use from one event loop."""

    def __init__(self, path: Path, cache: ResponseCache | None = None) -> None:
        self.ledger = Ledger(path)
        self.cache = cache
        self._queue: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self.appends = 0
        """How many `append_many` calls (locks + fsyncs) were made, for tests and profiles."""

    async def append(self, result: HarnessResult) -> HarnessResult:
        """Store one result; returns the stored copy (with prev_hash/hash)."""
        (stored,) = await self.append_many([result])
        return stored

    async def append_many(self, results: Sequence[HarnessResult]) -> list[HarnessResult]:
        """Store several results in order (with whatever else is queued)."""
        if not results:
            return []
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in results]
        self._queue.extend(zip(results, futures, strict=True))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return list(await asyncio.gather(*futures))

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                # The file lock and fsync run in a thread: the loop keeps serving other units.
                stored = await asyncio.to_thread(self.ledger.append_many, [r for r, _ in batch])
            except Exception as exc:  # every waiter of this batch sees the failure
                failure = exc
                if isinstance(exc, OSError):  # disk full, read-only...: one line for the user
                    failure = LedgerError(
                        f"could not append to the ledger at {self.ledger.path}: "
                        f"{exc.strerror or exc}"
                    )
                for _, future in batch:
                    if not future.done():
                        future.set_exception(failure)
                continue
            self.appends += 1
            if self.cache is not None:
                await self._remember_answers(stored)
            for (_, future), entry in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(entry)

    async def _remember_answers(self, stored: Sequence[HarnessResult]) -> None:
        """Answers that asked to be cached go into the cache once they are in the ledger; a
        cache that cannot be written costs a later re-call, never a result."""
        fresh = responses_to_cache(stored)
        if not fresh or self.cache is None:
            return
        try:
            await asyncio.to_thread(self.cache.put_many, fresh)
        except Exception as exc:
            log.warning("response cache at %s not updated: %s", self.cache.path, exc)
