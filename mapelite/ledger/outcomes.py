"""Errors are not scores: what a harness run's items say about its score and its coverage.

An item whose call failed (``ItemOutcome.error``) was never answered: it is excluded from the
score means and counted as missing coverage. This module is the one place that turns a run's
item outcomes into its ``scores``, says whether a stored run is complete, and what of it a
re-run takes over (`reusable_items`) and has paid (`paid_usd`).

``scores`` of a harness run:

- ``raw`` is the sum of the scores of the scored items;
- ``normalized`` is their mean (``raw / scored``), in [0, 1];
- when no item was scored, both are 0 and the entry carries ``metadata.error``: a reader must
  take the coverage (0 scored items) from the items, never read that 0 as a score
  (`scored_items` and `coverage` do).

Entries written before this rule (ledger format 1) put 0 in ``scores`` whenever an item failed;
their items still carry the errors, so `scored_mean` recomputes what they mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mapelite.schemas import HarnessResult, ItemOutcome, Scores


def scores_of(items: Sequence[ItemOutcome]) -> Scores:
    """``scores`` for a harness run: the sum and mean over the scored items only."""
    scored = [item.score for item in items if item.scored]
    if not scored:
        return Scores(raw=0.0, normalized=0.0)
    raw = float(sum(scored))
    return Scores(raw=raw, normalized=min(1.0, max(0.0, raw / len(scored))))


def latest_scorings(entries: Iterable[HarnessResult]) -> list[HarnessResult]:
    """``entries`` with each original in its latest scoring: a rescoring (``metadata.rescore_of``
    = the original's hash, `mapelite.rescore`) takes the place of the original and of any
    earlier rescoring of it; order kept (by the scoring's position)."""
    listed = list(entries)
    latest: dict[str, int] = {}
    for index, entry in enumerate(listed):
        original = entry.metadata.rescore_of or entry.hash
        if original is not None:
            latest[original] = index
    return [
        entry
        for index, entry in enumerate(listed)
        if latest.get(entry.metadata.rescore_of or entry.hash or "", index) == index
    ]


def has_errors(result: HarnessResult) -> bool:
    """True when any part of the run failed (the run's own error, or an item's): such a run is
    not done, and a resume runs it again."""
    if result.metadata.error is not None:
        return True
    return any(not item.scored for item in result.metadata.items)


def scored_items(result: HarnessResult) -> list[ItemOutcome]:
    return [item for item in result.metadata.items if item.scored]


@dataclass(frozen=True)
class Coverage:
    """How much of a harness run (or of several) was actually scored."""

    scored: int
    total: int

    @property
    def errors(self) -> int:
        return self.total - self.scored

    @property
    def fraction(self) -> float:
        return self.scored / self.total if self.total else 0.0

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.scored + other.scored, self.total + other.total)


def coverage(result: HarnessResult) -> Coverage:
    """Scored items out of the items the run was meant to answer. A run that failed before
    any item (no items recorded) covers nothing of an unknown total: ``Coverage(0, 0)``."""
    items = result.metadata.items
    return Coverage(scored=sum(1 for item in items if item.scored), total=len(items))


def total_coverage(results: Iterable[HarnessResult]) -> Coverage:
    total = Coverage(0, 0)
    for result in results:
        total = total + coverage(result)
    return total


def scored_mean(result: HarnessResult) -> float | None:
    """The run's mean over its scored items, or None when nothing was scored. Reads entries of
    either ledger format the same way (format 1 stored 0 in ``scores`` when an item failed)."""
    items = result.metadata.items
    if not items:
        return None if result.metadata.error is not None else result.scores.normalized
    scored = [item.score for item in items if item.scored]
    return sum(scored) / len(scored) if scored else None


def mean_scored(results: Iterable[HarnessResult]) -> float | None:
    """Mean of the runs' scored means; runs with nothing scored are left out (None if none)."""
    means = [m for m in (scored_mean(r) for r in results) if m is not None]
    return sum(means) / len(means) if means else None


def reusable_items(result: HarnessResult | None, model: str, seed: int) -> list[ItemOutcome]:
    """The scored items of a recorded unit with errors that its re-run takes over instead of
    paying for them again: only for the very model and seed the run plans, each marked with
    the entry it came from (an item carried over twice keeps its first origin). Failed items
    are not reused: they are what the re-run is for."""
    # ``model`` is the unit's setup (``model@setting``): a recorded entry of another setting
    # of the same model answered other requests.
    if result is None or result.hash is None or result.setup != model:
        return []
    if result.metadata.seed is not None and result.metadata.seed != seed:
        return []
    origin = result.hash
    return [
        item if item.reused_from else item.model_copy(update={"reused_from": origin})
        for item in result.metadata.items
        if item.scored
    ]


def paid_usd(result: HarnessResult) -> float:
    """What the answers a stored unit holds cost when they were paid: its own calls plus the
    items it took over (`reusable_items`), whose entry it supersedes. Summed over a run's
    latest entries, it counts every paid answer once."""
    carried = sum(item.cost_usd for item in result.metadata.items if item.reused)
    return result.metadata.cost_usd + carried
