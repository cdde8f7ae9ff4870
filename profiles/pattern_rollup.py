"""Pattern profiles: does a topology pay off against its own members and the tier's best model?

Swarm runs are grouped by (pattern, tier, member models, harness set, item sample), so a row
never averages runs that answered different questions. Per run (items pooled, errors are not
scores): swarm score = the last stage's mean item score; coordination gain = that minus the
first stage's; best single member = `mapelite.stats.verdicts.best_single_member` (the first-stage
model with the best mean over its scored items in the run, ties to the cheaper, then the id).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from mapelite.catalog.models import load_catalog
from mapelite.errors import MapEliteError
from profiles.estimates import HAS_SCORE, pooled_aggregations, pooled_interval, to_estimate
from profiles.frame import SINGLE_MODEL_RUN
from profiles.schema import SCORE_DIGITS, USD_DIGITS, PatternProfile

CUSTOM_TIER = "custom"
RUN_KEY = ["pattern", "run_id", "repeat"]
_SUMS = ("n", "s", "nvar", "nvar_n")
_MAXES = ("clusters", "max_n")
_ALLS = ("binary", "unclustered")

GroupKey = tuple[str, str, tuple[str, ...], tuple[int, ...], str | None]


@dataclass
class _Group:
    """The runs of one (pattern, tier, members, harnesses, item sample)."""

    last: dict[str, Any] = field(default_factory=dict)  # pooled last-stage aggregates
    gains: list[float] = field(default_factory=list)
    member_scores: list[float] = field(default_factory=list)
    member_gains: list[float] = field(default_factory=list)
    members_best: Counter[str] = field(default_factory=Counter)
    costs: list[float] = field(default_factory=list)
    simulated: bool = False
    latest: tuple[int, str, int] = (-1, "", 0)  # (last seq, run id, repeat)

    def add_last_stage(self, row: dict[str, Any]) -> None:
        if not self.last:
            self.last = {k: row[k] for k in (*_SUMS, *_MAXES, *_ALLS)}
            return
        for k in _SUMS:
            self.last[k] = (self.last[k] or 0) + (row[k] or 0)
        for k in _MAXES:
            self.last[k] = max(self.last[k] or 0, row[k] or 0)
        for k in _ALLS:
            self.last[k] = bool(self.last[k]) and bool(row[k])


def pattern_profiles(entries: pl.DataFrame) -> list[PatternProfile]:
    lazy = entries.lazy()
    swarm = lazy.filter(pl.col("pattern").is_not_null()).with_columns(pl.col("stage").fill_null(0))
    single_runs = lazy.filter(SINGLE_MODEL_RUN & HAS_SCORE).select(
        "model", "run_id", "repeat", "harness_id", "n", "score_sum", "cost_usd"
    )
    runs, single = pl.collect_all([_runs(swarm).join(_best_members(swarm), on=RUN_KEY,
                                                     how="left"), single_runs])  # fmt: skip
    if runs.height == 0:
        return []
    groups = _group_runs(runs)
    # Rows of one tier usually share (models, harnesses): work each tier best out once.
    tier_bests: dict[tuple[tuple[str, ...], tuple[int, ...]], tuple[str, float, float] | None] = {}
    profiles = []
    for key, group in groups.items():
        _, tier, models, harnesses, _ = key
        best_key = (tuple(_tier_models(tier, models)), harnesses)
        if best_key not in tier_bests:
            tier_bests[best_key] = _tier_best(single, list(best_key[0]), harnesses)
        profiles.append(_profile(key, group, tier_bests[best_key]))
    return sorted(profiles, key=lambda p: (p.tier, p.pattern, p.members, p.harness_ids))


def _runs(swarm: pl.LazyFrame) -> pl.LazyFrame:
    """One row per swarm run: first/last stage pooled item statistics, cost, members,
    harnesses, tier, item sample, last ledger index."""
    stages = swarm.group_by([*RUN_KEY, "stage"]).agg(*pooled_aggregations())
    runs = swarm.group_by(RUN_KEY).agg(
        pl.col("stage").min().alias("first_stage"),
        pl.col("stage").max().alias("last_stage"),
        pl.col("cost_usd").sum().alias("cost"),
        pl.col("model").unique().alias("models"),  # categorical codes; sorted per run below
        pl.col("harness_id").unique().sort().alias("harnesses"),
        # Entries that failed before any item have no sample: the run's items are the others'.
        pl.col("sample").drop_nulls().unique().sort().alias("samples"),
        pl.col("simulated").any(),
        pl.col("tier").drop_nulls().first(),
        pl.col("seq").max().alias("last_seq"),
    )
    first = stages.rename({"stage": "first_stage", "n": "first_n", "s": "first_s"}).select(
        [*RUN_KEY, "first_stage", "first_n", "first_s"]
    )
    last = stages.rename({"stage": "last_stage"})
    return (
        runs.join(first, on=[*RUN_KEY, "first_stage"])
        .join(last, on=[*RUN_KEY, "last_stage"])
        .sort(RUN_KEY)
    )


def _best_members(swarm: pl.LazyFrame) -> pl.LazyFrame:
    """Per run, its best single member: the first-stage model with the best mean over its
    scored items (ties to the lower mean cost per entry, then the model id)."""
    first = swarm.filter(pl.col("stage") == pl.col("stage").min().over(RUN_KEY))
    return (
        first.group_by([*RUN_KEY, "model"])
        .agg(pl.col("score_sum").sum(), pl.col("n").sum(), pl.col("cost_usd").mean())
        .filter(pl.col("n") > 0)
        .select(
            *RUN_KEY,
            pl.col("model").alias("best_member"),
            (pl.col("score_sum") / pl.col("n")).alias("best_member_score"),
            pl.col("cost_usd"),
        )
        .sort(
            [
                pl.col("best_member_score"),
                pl.col("cost_usd"),
                pl.col("best_member").cast(pl.String),
            ],
            descending=[True, False, False],
        )
        .group_by(RUN_KEY, maintain_order=True)
        .first()
        .select(*RUN_KEY, "best_member", "best_member_score")
    )


def _run_sample(row: dict[str, Any]) -> str | None:
    if not row["samples"]:
        return None
    text = ",".join(str(sample) for sample in row["samples"])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _group_runs(runs: pl.DataFrame) -> dict[GroupKey, _Group]:
    groups: dict[GroupKey, _Group] = defaultdict(_Group)
    inferred: dict[tuple[str, ...], str] = {}
    for run in runs.iter_rows(named=True):
        models = tuple(sorted(run["models"]))
        if models not in inferred:
            inferred[models] = _infer_tier(frozenset(models))
        tier = run["tier"] or inferred[models]
        key = (run["pattern"], tier, models, tuple(run["harnesses"]), _run_sample(run))
        group = groups[key]
        group.add_last_stage(run)
        group.costs.append(run["cost"])
        group.simulated = group.simulated or run["simulated"]
        run_id = str(run["run_id"])
        group.latest = max(group.latest, (run["last_seq"], run_id, run["repeat"]))
        last_mean = run["s"] / run["n"] if run["n"] else None
        if last_mean is not None and run["first_n"]:
            group.gains.append(last_mean - run["first_s"] / run["first_n"])
        member, member_score = run["best_member"], run["best_member_score"]
        if member is not None:
            group.members_best[member] += 1
            group.member_scores.append(member_score)
            if last_mean is not None:
                group.member_gains.append(last_mean - member_score)
    return groups


def _infer_tier(models: frozenset[str]) -> str:
    catalog = load_catalog()
    for name in catalog.tier_names():
        if models <= set(catalog.tier(name)):
            return name
    return CUSTOM_TIER


def _tier_models(tier: str, members: tuple[str, ...]) -> list[str]:
    if tier == CUSTOM_TIER:
        return list(members)
    try:
        return load_catalog().tier(tier)
    except MapEliteError:  # a tier recorded by a flow that the catalog no longer has
        return list(members)


def _tier_best(
    single: pl.DataFrame, models: list[str], harnesses: tuple[int, ...]
) -> tuple[str, float, float] | None:
    """(model, mean run score, mean run cost) of the best single-model runs, or None."""
    per_model = (
        single.lazy()
        .filter(pl.col("model").is_in(models) & pl.col("harness_id").is_in(list(harnesses)))
        .group_by("model", "run_id", "repeat")
        .agg(
            (pl.col("score_sum").sum() / pl.col("n").sum()).alias("score"), pl.col("cost_usd").sum()
        )
        .group_by("model")
        .agg(pl.col("score").mean(), pl.col("cost_usd").mean())
        .collect()
    )
    if per_model.height == 0:
        return None
    rows = sorted(per_model.iter_rows(), key=lambda r: (-r[1], r[2], str(r[0])))
    model, score, cost = rows[0]
    return str(model), score, cost


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, SCORE_DIGITS)


def _profile(key: GroupKey, group: _Group, best: tuple[str, float, float] | None) -> PatternProfile:
    pattern, tier, models, harnesses, sample = key
    swarm = pooled_interval(group.last)
    cost = sum(group.costs) / len(group.costs)
    per_extra_dollar: float | None = None
    if swarm is not None and best is not None and cost - best[2] > 0:
        per_extra_dollar = round((swarm.mean - best[1]) / (cost - best[2]), SCORE_DIGITS)
    member = min(group.members_best.items(), key=lambda kv: (-kv[1], kv[0]))[0] if (
        group.members_best
    ) else None  # fmt: skip
    return PatternProfile(
        pattern=pattern,
        tier=tier,
        members=list(models),
        harness_ids=list(harnesses),
        item_sample=sample,
        simulated=group.simulated,
        runs=len(group.costs),
        swarm_score=to_estimate(swarm),
        coordination_gain=_rounded(_mean(group.gains)),
        best_single_member=member,
        best_single_member_score=_rounded(_mean(group.member_scores)),
        gain_over_best_single_member=_rounded(_mean(group.member_gains)),
        cost_per_run_usd=round(cost, USD_DIGITS),
        tier_best_model=None if best is None else best[0],
        tier_best_model_score=None if best is None else round(best[1], SCORE_DIGITS),
        tier_best_model_cost_per_run_usd=None if best is None else round(best[2], USD_DIGITS),
        score_per_extra_dollar=per_extra_dollar,
        verdicts_run_id=group.latest[1] or None,
    )


def latest_runs(patterns: list[PatternProfile]) -> set[str]:
    """Run ids whose verdicts the report shows (the latest run of each pattern row)."""
    return {p.verdicts_run_id for p in patterns if p.verdicts_run_id}
