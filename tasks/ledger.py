"""The Prefect task that appends results to the ledger (locked, fsynced; see mapelite.ledger)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from mapelite.ledger import Ledger
from mapelite.schemas import HarnessResult


@task(name="ledger-append", cache_policy=NO_CACHE, persist_result=False, retries=0)
async def append_results_task(
    ledger_path: str, results: list[HarnessResult]
) -> list[HarnessResult]:
    """Append in order; returns the stored copies (with prev_hash/hash). The file lock and fsync
    run in a thread so the flow's event loop keeps serving other units."""
    ledger = Ledger(Path(ledger_path))
    return await asyncio.to_thread(ledger.append_many, results)
