"""Completion tokens each setup has spent per item, as the ledger measured them.

Read from the ledger's summary index (`mapelite.ledger.summary`: per harness run, the p50 and
p90 of its answered items' completion tokens, reasoning included) when it is in step with the
ledger, else from the ledger's lines. A setup's figure on a harness is the median over its
harness runs of their p50 (and of their p90); with fewer than `MIN_RUNS` runs on that harness,
the setup's runs on every harness pooled stand in, and with none the estimate uses the prior
(`mapelite.providers.reasoning.EXPECTED_REASONING_TOKENS` on top of the harness's answer).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from mapelite.errors import LedgerError
from mapelite.ledger.chain import Ledger
from mapelite.ledger.summary import setup_statistics, summary_in_step, summary_path
from mapelite.schemas import format_setup

MIN_RUNS = 2
"""Harness runs of a setup on one harness before its own figure is used for that harness."""

Scope = Literal["harness", "setup"]


@dataclass(frozen=True)
class Observed:
    """Completion tokens per item: median over runs of each run's p50, and of its p90."""

    median: int
    p90: int
    runs: int
    scope: Scope


@dataclass
class TokenObservations:
    """Per (setup, harness) and per setup: the per-run (p50, p90) completion tokens."""

    runs: dict[tuple[str, int], list[tuple[int, int]]] = field(default_factory=dict)

    def lookup(self, setup: str, harness_id: int) -> Observed | None:
        own = self.runs.get((setup, harness_id), [])
        if len(own) >= MIN_RUNS:
            return _combined(own, "harness")
        pooled = [run for (s, _), runs in self.runs.items() if s == setup for run in runs]
        return _combined(pooled, "setup") if pooled else None

    def __bool__(self) -> bool:
        return bool(self.runs)


def _combined(runs: list[tuple[int, int]], scope: Scope) -> Observed:
    median = round(statistics.median(p50 for p50, _ in runs))
    p90 = round(statistics.median(p90 for _, p90 in runs))
    return Observed(median=median, p90=max(p90, median), runs=len(runs), scope=scope)


def observed_tokens(ledger_path: Path) -> TokenObservations:
    """The ledger's observations (empty when there is no ledger or it cannot be read: an
    estimate then falls back to the prior, which it says)."""
    try:
        stat = ledger_path.stat()
    except OSError:
        return TokenObservations()
    return _cached(str(ledger_path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _cached(path: str, size: int, mtime_ns: int) -> TokenObservations:
    ledger_path = Path(path)
    try:
        rows = _summary_rows(ledger_path) if summary_in_step(ledger_path) else None
        if rows is None:
            rows = _ledger_rows(ledger_path)
        return _collect(rows)
    except (LedgerError, OSError, ValueError):
        return TokenObservations()


Row = tuple[str, str | None, int, int | None, int | None]
"""(model, reasoning, harness id, p50, p90) of one harness run."""


def _summary_rows(ledger_path: Path) -> list[Row] | None:
    import polars as pl

    names = ["model", "reasoning", "harness_id", "tokens_out_p50", "tokens_out_p90"]
    try:
        frame = (
            pl.scan_csv(
                summary_path(ledger_path),
                schema_overrides={name: pl.String for name in ("model", "reasoning", "rescore_of")},
            )
            # A rescoring repeats its original's tokens: counted once.
            .filter(pl.col("tokens_out_p50").is_not_null() & pl.col("rescore_of").is_null())
            .select(names)
            .collect()
        )
    except (pl.exceptions.PolarsError, OSError):
        return None
    return [tuple(row) for row in frame.iter_rows()]


def _ledger_rows(ledger_path: Path) -> list[Row]:
    rows: list[Row] = []
    for entry in Ledger(ledger_path).read():
        if entry.metadata.rescore_of is not None:
            continue
        meta: Mapping[str, Any] = entry.metadata.model_dump(mode="json")
        stats = setup_statistics(meta)
        rows.append((entry.model, meta.get("reasoning"), entry.harness_id, stats[3], stats[4]))
    return rows


def _collect(rows: Iterable[Row]) -> TokenObservations:
    runs: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for model, reasoning, harness_id, p50, p90 in rows:
        if p50 is None or p90 is None:
            continue  # no answered item
        runs[(format_setup(model, reasoning), int(harness_id))].append((int(p50), int(p90)))
    return TokenObservations(runs=dict(runs))
