"""Ledger writes from inside the flow's event loop: results that complete together are
appended together (one file lock, one write, one fsync; see `mapelite.ledger`).

A result is handed back only once it is on disk, so nothing a unit returned is lost by a crash
after that point. While one append is in flight, the results that arrive queue up and go in the
next one: under load an fsync covers many results, alone it covers one (no added latency).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from mapelite.errors import LedgerError
from mapelite.ledger import Ledger
from mapelite.schemas import HarnessResult

_Waiting = tuple[HarnessResult, "asyncio.Future[HarnessResult]"]


class LedgerAppender:
    """Coalescing appends to one ledger; use from one event loop."""

    def __init__(self, path: Path) -> None:
        self.ledger = Ledger(path)
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
            for (_, future), entry in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(entry)
