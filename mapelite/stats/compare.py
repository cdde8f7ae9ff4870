"""Paired comparison of two setups, or of a swarm run and a setup, on the items both answered.

A side is a setup (``model`` or ``model@setting``; its solo entries: role ``single``, or a
first-stage ``worker``) or a swarm run id (the last stage of that run). Each side's score of
an item is its mean over the side's scored answers to it (repeats of an item are one cluster);
items are paired by (harness, bank, item id). Per harness: difference, 95% CI, p-value (exact
McNemar for 0/1 scores, cluster-robust paired t otherwise), Holm-corrected across the
harnesses compared; then the same over every shared item, and a verdict in words. Each harness
run counts in its latest scoring (`mapelite.ledger.outcomes.latest_scorings`); a side names the
scorer versions that made it.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from mapelite.errors import InvalidInputError, LedgerError
from mapelite.ledger.outcomes import latest_scorings
from mapelite.schemas import HARNESS_NAMES, HarnessResult
from mapelite.stats.core import (
    LEVEL,
    PairedDifference,
    holm,
    normal_quantile,
    paired_difference,
)

ItemKey = tuple[int, str, str]
"""(harness id, bank, item id): what two sides must share for a pair."""


class ItemScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    score: float
    cluster: str
    answers: int
    cost_usd: float


def solo_entries(entries: Iterable[HarnessResult], model: str) -> list[HarnessResult]:
    """``model``'s entries where it answered alone (single, or a first-stage worker)."""
    return [
        e
        for e in entries
        if e.setup == model
        and e.metadata.role in ("single", "worker")
        and (e.metadata.stage or 0) == 0
    ]


def swarm_run_entries(entries: Iterable[HarnessResult], run_id: str) -> list[HarnessResult]:
    return [e for e in entries if e.metadata.run_id == run_id and e.metadata.pattern is not None]


def last_stage(run: Sequence[HarnessResult]) -> list[HarnessResult]:
    """The entries of the run's last stage, per harness (stages of a harness run in order)."""
    last: dict[int, int] = {}
    for entry in run:
        last[entry.harness_id] = max(last.get(entry.harness_id, 0), entry.metadata.stage or 0)
    return [e for e in run if (e.metadata.stage or 0) == last[e.harness_id]]


def scored_total(entry: HarnessResult) -> tuple[float, int]:
    """(sum, count) of the entry's scored item scores. An entry without item records (written
    before items were recorded) counts as one score, its ``normalized``, unless it failed: a
    failed entry with no scored item is an error, not a zero."""
    if entry.metadata.items:
        scored = [o.score for o in entry.metadata.items if o.scored]
        return sum(scored), len(scored)
    if entry.metadata.error is not None:
        return 0.0, 0
    return entry.scores.normalized, 1


def item_scores(entries: Iterable[HarnessResult]) -> dict[ItemKey, ItemScore]:
    """Mean scored-item score per item over ``entries`` (errors are not scores)."""
    sums: dict[ItemKey, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    clusters: dict[ItemKey, str] = {}
    for entry in entries:
        for outcome in entry.metadata.items:
            if not outcome.scored:
                continue
            key = (entry.harness_id, outcome.bank, outcome.item_id)
            total = sums[key]
            total[0] += outcome.score
            total[1] += 1
            total[2] += outcome.cost_usd
            clusters[key] = f"{entry.harness_id}:{outcome.cluster}"
    return {
        key: ItemScore(score=s / n, cluster=clusters[key], answers=int(n), cost_usd=cost / n)
        for key, (s, n, cost) in sums.items()
    }


class Side(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str  # "model" or "swarm run"
    entries: int
    scorer_versions: list[str] = []
    """Versions of the scorers that scored its items (none recorded: written before them)."""


def resolve_side(entries: Sequence[HarnessResult], name: str) -> tuple[Side, list[HarnessResult]]:
    """A swarm run id or a model id -> its entries to compare; unknown -> InvalidInputError."""
    entries = latest_scorings(entries)
    run = swarm_run_entries(entries, name)
    if run:
        chosen = last_stage(run)
        return Side(name=name, kind="swarm run", entries=len(chosen), **_versions(chosen)), chosen
    solo = solo_entries(entries, name)
    if solo:
        return Side(name=name, kind="model", entries=len(solo), **_versions(solo)), solo
    raise InvalidInputError(
        f"{name!r} is neither a model with results of its own nor a swarm run id in the ledger; "
        "give a model id such as mockllm/atlas or the run id a swarm printed"
    )


def _versions(entries: Sequence[HarnessResult]) -> dict[str, list[str]]:
    found = {o.scorer_version for e in entries for o in e.metadata.items if o.scorer_version}
    return {"scorer_versions": sorted(found)}


class HarnessComparison(BaseModel):
    """a - b on the shared items of one harness (``harness_id`` None: every shared item)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    harness_id: int | None
    harness: str
    n: int
    clusters: int
    a_mean: float | None
    b_mean: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    method: str
    significant: bool
    more_items_to_settle: int | None
    """Shared items still needed to detect the observed difference at 80% power (None when
    already significant or the observed difference is 0)."""


class ComparisonReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    a: Side
    b: Side
    level: float = LEVEL
    correction: str = "holm"
    harnesses: list[HarnessComparison]
    overall: HarnessComparison
    verdict: str


def more_items_to_settle(result: PairedDifference, power: float = 0.8) -> int | None:
    """Extra paired items for the observed difference to be detected with ``power``, from the
    observed variance of the differences (read back from the CI); None when nothing to settle."""
    if result.n < 2 or result.difference == 0 or result.significant:
        return None
    z_level = normal_quantile(0.5 + LEVEL / 2)
    se = (result.ci_high - result.ci_low) / (2 * z_level)
    per_item_variance = se * se * result.n
    if per_item_variance <= 0:
        return None
    z = z_level + normal_quantile(power)
    needed = math.ceil(z * z * per_item_variance / result.difference**2)
    return max(needed - result.n, 1)


def _row(
    harness_id: int | None,
    a: list[float],
    b: list[float],
    clusters: list[str],
    p_adjusted: float | None,
) -> HarnessComparison:
    name = "all" if harness_id is None else HARNESS_NAMES[harness_id]
    if not a:
        return HarnessComparison(
            harness_id=harness_id, harness=name, n=0, clusters=0, a_mean=None, b_mean=None,
            difference=None, ci_low=None, ci_high=None, p_value=None, p_adjusted=None,
            method="none", significant=False, more_items_to_settle=None,
        )  # fmt: skip
    result = paired_difference(a, b, clusters)
    adjusted = result.p_value if p_adjusted is None else p_adjusted
    settled = result.model_copy(update={"p_value": adjusted})
    return HarnessComparison(
        harness_id=harness_id,
        harness=name,
        n=result.n,
        clusters=result.clusters,
        a_mean=sum(a) / len(a),
        b_mean=sum(b) / len(b),
        difference=result.difference,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        p_value=result.p_value,
        p_adjusted=adjusted,
        method=result.method,
        significant=adjusted < 1 - LEVEL,
        more_items_to_settle=more_items_to_settle(settled),
    )


def compare(
    entries: Sequence[HarnessResult],
    a: str,
    b: str,
    harnesses: Sequence[int] | None = None,
) -> ComparisonReport:
    """Paired comparison of side ``a`` against side ``b`` (model ids or swarm run ids)."""
    if a == b:
        raise InvalidInputError("compare needs two different models or runs")
    side_a, entries_a = resolve_side(entries, a)
    side_b, entries_b = resolve_side(entries, b)
    scores_a, scores_b = item_scores(entries_a), item_scores(entries_b)
    shared = sorted(set(scores_a) & set(scores_b))
    wanted = sorted(set(harnesses)) if harnesses is not None else sorted({k[0] for k in shared})
    per_harness: dict[int, list[ItemKey]] = {h: [] for h in wanted}
    for key in shared:
        if key[0] in per_harness:
            per_harness[key[0]].append(key)

    def vectors(keys: list[ItemKey]) -> tuple[list[float], list[float], list[str]]:
        return (
            [scores_a[k].score for k in keys],
            [scores_b[k].score for k in keys],
            [scores_a[k].cluster for k in keys],
        )

    raw = [_row(h, *vectors(keys), None) for h, keys in per_harness.items()]
    tested = [r for r in raw if r.p_value is not None]
    adjusted = iter(holm([r.p_value for r in tested if r.p_value is not None]))
    rows = [
        _row(h, *vectors(keys), next(adjusted) if r.p_value is not None else None)
        for (h, keys), r in zip(per_harness.items(), raw, strict=True)
    ]
    every = [k for keys in per_harness.values() for k in keys]
    overall = _row(None, *vectors(every), None)
    return ComparisonReport(
        a=side_a,
        b=side_b,
        harnesses=rows,
        overall=overall,
        verdict=verdict(side_a.name, side_b.name, rows, overall),
    )


def entries_mentioning(ledger_path: Path, names: Sequence[str]) -> list[HarnessResult]:
    """The ledger's entries whose line mentions one of ``names`` (model ids or run ids) as a
    JSON string: what `compare` needs, without parsing the rest of a large ledger. Verify the
    ledger first; a missing one is a LedgerError."""
    # A setup's line holds its model id (the setting is a field of its own).
    models = {name.rpartition("@")[0] or name for name in names}
    needles = [json.dumps(name, ensure_ascii=False).encode() for name in {*names, *models}]
    found = []
    try:
        with ledger_path.open("rb", buffering=1 << 20) as handle:
            for line in handle:
                if any(needle in line for needle in needles):
                    found.append(HarnessResult.model_validate_json(line))
    except OSError as exc:
        raise LedgerError(f"cannot read ledger {ledger_path}: {exc.strerror or exc}") from None
    return found


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def describe_difference(row: HarnessComparison) -> str:
    """``0.12 [0.05, 0.19], p = 0.002`` (absolute difference, p corrected)."""
    assert row.difference is not None and row.ci_low is not None and row.ci_high is not None
    low, high = (row.ci_low, row.ci_high) if row.difference >= 0 else (-row.ci_high, -row.ci_low)
    p = row.p_adjusted if row.p_adjusted is not None else 1.0
    return f"{abs(row.difference):.2f} [{low:.2f}, {high:.2f}], {_fmt_p(p)}"


def verdict(a: str, b: str, rows: Sequence[HarnessComparison], overall: HarnessComparison) -> str:
    """One sentence per finding: where a side is better, where nothing is detectable, and how
    many more shared items would settle the closest undecided harness(es)."""
    if overall.n == 0:
        return (
            f"{a} and {b} share no scored items; run both on the same items "
            "(same harnesses, --items and --item-seed) to compare them"
        )
    parts = []
    for row in rows:
        if row.significant and row.difference is not None:
            better = a if row.difference > 0 else b
            parts.append(f"{better} better on {row.harness} by {describe_difference(row)}")
    undecided = [r for r in rows if not r.significant and r.n > 0]
    if undecided:
        where = "elsewhere" if parts else "on any harness"
        parts.append(f"no detectable difference {where}")
    settle = sorted(
        (r for r in undecided if r.more_items_to_settle is not None),
        key=lambda r: r.more_items_to_settle or 0,
    )[:3]
    parts += [f"~{r.more_items_to_settle} more shared items would settle {r.harness}"
              for r in settle]  # fmt: skip
    missing = [r.harness for r in rows if r.n == 0]
    if missing:
        parts.append(f"no shared items on {', '.join(missing)}")
    return "; ".join(parts)
