"""Rescoring a ledger: today's scorers over stored answers, appended as new entries.

Which entries: the current scoring of every harness run (of one run id, or all). A harness run
whose unit was run again later (a resume re-ran its errors) is superseded and left alone. The
current scoring of a run is its latest rescoring, else the original entry.

What is appended: for each run whose item scores change under today's scorers, a copy of its
current scoring with the new item scores, each rescored item marked with the scorer version
that made it, the run's scores recomputed and ``metadata.rescore_of`` = the original's hash
(always the original, so the latest of several rescorings is found by one key). Errors stay
errors (they are not scores), answers, tokens and costs stay as paid. Nothing is called; no
old line changes. Rescoring again with the same scorers appends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mapelite.harnesses.registry import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.ledger.outcomes import scores_of
from mapelite.rescore.items import find_item
from mapelite.schemas import HarnessResult, ItemOutcome, utc_now_iso

SCORE_TOLERANCE = 1e-9


@dataclass
class RescoreReport:
    """What a rescore looked at and what it appended."""

    entries: int = 0
    """Harness runs rescored (their current scoring)."""
    items: int = 0
    """Answered items scored again."""
    changed_items: int = 0
    unknown_items: int = 0
    """Items whose bank no longer has them: their stored score stays."""
    appended: list[HarnessResult] = field(default_factory=list)

    @property
    def changed_entries(self) -> int:
        return len(self.appended)


def current_scorings(entries: Iterable[HarnessResult]) -> list[HarnessResult]:
    """The current scoring of every harness run not superseded by a re-run of its unit, in
    ledger order of the originals."""
    originals: dict[str, HarnessResult] = {}
    latest: dict[str, HarnessResult] = {}
    unit_last: dict[tuple[str, str], str] = {}
    for entry in entries:
        meta = entry.metadata
        if entry.hash is None:
            continue
        if meta.rescore_of is not None:
            latest[meta.rescore_of] = entry
            continue
        originals[entry.hash] = entry
        latest[entry.hash] = entry
        if meta.unit_key is not None:
            unit_last[(meta.run_id, meta.unit_key)] = entry.hash
    current = []
    for original_hash, original in originals.items():
        meta = original.metadata
        if meta.unit_key is not None and unit_last[(meta.run_id, meta.unit_key)] != original_hash:
            continue  # superseded by a later run of the same unit
        current.append(latest[original_hash])
    return current


def rescored(entry: HarnessResult, report: RescoreReport) -> HarnessResult | None:
    """``entry`` scored by today's scorers, or None when no item score changes."""
    harness = get_harness(entry.harness_id)
    items: list[ItemOutcome] = []
    changed = False
    for outcome in entry.metadata.items:
        if not outcome.scored or outcome.answer is None:
            items.append(outcome)
            continue
        item = find_item(entry.harness_id, outcome.bank, outcome.item_id)
        if item is None:
            report.unknown_items += 1
            items.append(outcome)
            continue
        report.items += 1
        score = min(1.0, max(0.0, float(item.score(outcome.answer))))
        if abs(score - outcome.score) > SCORE_TOLERANCE:
            changed = True
            report.changed_items += 1
        items.append(
            outcome.model_copy(update={"score": score, "scorer_version": harness.scorer_version})
        )
    if not changed:
        return None
    original = entry.metadata.rescore_of or entry.hash
    metadata = entry.metadata.model_copy(update={"items": items, "rescore_of": original})
    return entry.model_copy(
        update={
            "scores": scores_of(items),
            "metadata": metadata,
            "timestamp": utc_now_iso(),
            "prev_hash": None,
            "hash": None,
        }
    )


def rescore_ledger(ledger: Ledger, run_id: str | None = None) -> RescoreReport:
    """Rescore the current scoring of every harness run (of ``run_id``) and append the ones
    whose scores change, in one append."""
    report = RescoreReport()
    fresh = []
    for entry in current_scorings(ledger.read()):
        if run_id is not None and entry.metadata.run_id != run_id:
            continue
        report.entries += 1
        new = rescored(entry, report)
        if new is not None:
            fresh.append(new)
    if fresh:
        report.appended = ledger.append_many(fresh)
    return report
