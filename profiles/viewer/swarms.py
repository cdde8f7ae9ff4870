"""Where a swarm fixed or broke what its first stage answered, item by item.

Per swarm item (harness, bank, item id): the mean score of the first stage's scored answers and
of the last stage's. A side is *right* on an item when its mean is at least one half (for 0/1
scores: most of its answers were right). The swarm **fixed** an item its first stage got wrong
and its last stage right, **broke** one its first stage got right and its last stage wrong, and
otherwise kept it (right or wrong). Items without a scored answer on both sides are left out:
errors are not scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mapelite.schemas import HarnessResult
from mapelite.stats.compare import last_stage
from mapelite.stats.verdicts import first_stage

RIGHT = 0.5
Outcome = Literal["fixed", "broke", "kept right", "kept wrong"]


class SwarmItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    harness_id: int
    bank: str
    item_id: str
    bank_version: str
    first_mean: float
    last_mean: float
    outcome: Outcome
    errors: int = 0
    """Answers of any stage to this item that failed (not scores)."""
    truncated: int = 0
    """Answers of any stage that stopped at the token budget."""


def outcome_of(first_mean: float, last_mean: float) -> Outcome:
    first_right, last_right = first_mean >= RIGHT, last_mean >= RIGHT
    if first_right == last_right:
        return "kept right" if last_right else "kept wrong"
    return "fixed" if last_right else "broke"


def _means(entries: Sequence[HarnessResult]) -> dict[tuple[int, str, str, str], float]:
    totals: dict[tuple[int, str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for entry in entries:
        for outcome in entry.metadata.items:
            if outcome.scored:
                total = totals[(entry.harness_id, outcome.bank, outcome.item_id,
                                outcome.bank_version)]  # fmt: skip
                total[0] += outcome.score
                total[1] += 1
    return {key: s / n for key, (s, n) in totals.items()}


def swarm_item_outcomes(run: Sequence[HarnessResult]) -> list[SwarmItem]:
    """Each item of one swarm run with its first- and last-stage means and what became of it.
    A harness whose run has a single stage has nothing to fix or break and is left out."""
    first = _means(first_stage(run))
    last_entries = [e for e in last_stage(run) if (e.metadata.stage or 0) > 0]
    last = _means(last_entries)
    errors: dict[tuple[int, str, str, str], int] = defaultdict(int)
    truncated: dict[tuple[int, str, str, str], int] = defaultdict(int)
    for entry in run:
        for outcome in entry.metadata.items:
            key = (entry.harness_id, outcome.bank, outcome.item_id, outcome.bank_version)
            errors[key] += not outcome.scored
            truncated[key] += outcome.truncated
    return [
        SwarmItem(
            harness_id=key[0],
            bank=key[1],
            item_id=key[2],
            bank_version=key[3],
            first_mean=first[key],
            last_mean=last[key],
            outcome=outcome_of(first[key], last[key]),
            errors=errors[key],
            truncated=truncated[key],
        )
        for key in sorted(set(first) & set(last))
    ]
