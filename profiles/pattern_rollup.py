"""Pattern × tier profiles: does a topology pay off against the tier's best single model?"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl

from mapelite.catalog import load_catalog
from mapelite.errors import MapEliteError
from profiles.frame import SINGLE_MODEL_RUN, SOLO
from profiles.schema import SCORE_DIGITS, USD_DIGITS, PatternProfile

CUSTOM_TIER = "custom"
RUN_KEY = ["pattern", "run_id", "repeat"]


@dataclass
class _Group:
    """The runs of one (pattern, tier)."""

    swarm_scores: list[float] = field(default_factory=list)
    gains: list[float] = field(default_factory=list)
    member_gains: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    models: set[str] = field(default_factory=set)
    harnesses: set[int] = field(default_factory=set)
    simulated: bool = False


def pattern_profiles(entries: pl.DataFrame) -> list[PatternProfile]:
    lazy = entries.lazy()
    swarm = lazy.filter(pl.col("pattern").is_not_null()).with_columns(pl.col("stage").fill_null(0))
    solo = lazy.filter(SOLO).group_by("model", "harness_id").agg(pl.col("score").mean())
    single_runs = lazy.filter(SINGLE_MODEL_RUN).select(
        "model", "run_id", "repeat", "harness_id", "score", "cost_usd"
    )
    # One run for the three queries: each reads only its columns and they overlap.
    runs, solo_scores, single = pl.collect_all([_runs(swarm), solo, single_runs])
    if runs.height == 0:
        return []
    groups = _group_runs(runs, {(m, h): score for m, h, score in solo_scores.iter_rows()})
    # Patterns of one tier usually share (models, harnesses): work each best single out once.
    best_singles: dict[tuple[tuple[str, ...], frozenset[int]], tuple[str, float, float] | None] = {}
    profiles = []
    for (pattern, tier), group in groups.items():
        key = (tuple(_tier_models(tier, group)), frozenset(group.harnesses))
        if key not in best_singles:
            best_singles[key] = _best_single(single, list(key[0]), group.harnesses)
        profiles.append(_profile(pattern, tier, group, best_singles[key]))
    return sorted(profiles, key=lambda p: (p.tier, p.pattern))


def _runs(swarm: pl.LazyFrame) -> pl.LazyFrame:
    """One row per swarm run: first/last stage means, cost, members, harnesses, tier."""
    stage_means = swarm.group_by([*RUN_KEY, "stage"]).agg(pl.col("score").mean())
    runs = swarm.group_by(RUN_KEY).agg(
        pl.col("stage").min().alias("first_stage"),
        pl.col("stage").max().alias("last_stage"),
        pl.col("cost_usd").sum().alias("cost"),
        pl.col("model").unique().alias("models"),
        pl.col("harness_id").unique().alias("harnesses"),
        pl.col("simulated").any(),
        pl.col("tier").drop_nulls().first(),
    )
    first = stage_means.rename({"stage": "first_stage", "score": "first_score"})
    last = stage_means.rename({"stage": "last_stage", "score": "last_score"})
    return (
        runs.join(first, on=[*RUN_KEY, "first_stage"])
        .join(last, on=[*RUN_KEY, "last_stage"])
        .sort(RUN_KEY)
    )


def _group_runs(
    runs: pl.DataFrame, solo: dict[tuple[str, int], float]
) -> dict[tuple[str, str], _Group]:
    groups: dict[tuple[str, str], _Group] = defaultdict(_Group)
    inferred: dict[frozenset[str], str] = {}
    # Runs of one tier and harness share their members: work each best member out once.
    best_members: dict[tuple[frozenset[str], frozenset[int]], float | None] = {}
    for run in runs.iter_rows(named=True):
        models: list[str] = run["models"]
        harnesses: list[int] = run["harnesses"]
        members = frozenset(models)
        if members not in inferred:
            inferred[members] = _infer_tier(members)
        tier = run["tier"] or inferred[members]
        group = groups[(run["pattern"], tier)]
        group.swarm_scores.append(run["last_score"])
        group.gains.append(run["last_score"] - run["first_score"])
        group.costs.append(run["cost"])
        group.models.update(models)
        group.harnesses.update(harnesses)
        group.simulated = group.simulated or run["simulated"]
        member_key = (members, frozenset(harnesses))
        if member_key not in best_members:
            best_members[member_key] = _best_member_score(models, harnesses, solo)
        best_member = best_members[member_key]
        if best_member is not None:
            group.member_gains.append(run["last_score"] - best_member)
    return groups


def _best_member_score(
    models: list[str], harnesses: list[int], solo: dict[tuple[str, int], float]
) -> float | None:
    best: float | None = None
    for model in models:
        scores = [solo[(model, h)] for h in harnesses if (model, h) in solo]
        if scores:
            mean = sum(scores) / len(scores)
            best = mean if best is None else max(best, mean)
    return best


def _infer_tier(models: frozenset[str]) -> str:
    catalog = load_catalog()
    for name in catalog.tier_names():
        if models <= set(catalog.tier(name)):
            return name
    return CUSTOM_TIER


def _tier_models(tier: str, group: _Group) -> list[str]:
    if tier == CUSTOM_TIER:
        return sorted(group.models)
    try:
        return load_catalog().tier(tier)
    except MapEliteError:  # a tier recorded by a flow that the catalog no longer has
        return sorted(group.models)


def _best_single(
    single: pl.DataFrame, models: list[str], harnesses: set[int]
) -> tuple[str, float, float] | None:
    """(model, mean run score, mean run cost) of the best single-model runs, or None."""
    per_model = (
        single.lazy()
        .filter(pl.col("model").is_in(models) & pl.col("harness_id").is_in(list(harnesses)))
        .group_by("model", "run_id", "repeat")
        .agg(pl.col("score").mean(), pl.col("cost_usd").sum())
        .group_by("model")
        .agg(pl.col("score").mean(), pl.col("cost_usd").mean())
        .collect()
    )
    if per_model.height == 0:
        return None
    rows = sorted(per_model.iter_rows(), key=lambda r: (-r[1], r[2], r[0]))
    model, score, cost = rows[0]
    return model, score, cost


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _profile(
    pattern: str, tier: str, group: _Group, best: tuple[str, float, float] | None
) -> PatternProfile:
    swarm_score = _mean(group.swarm_scores)
    cost = _mean(group.costs)
    per_extra_dollar: float | None = None
    if best is not None and cost - best[2] > 0:
        per_extra_dollar = round((swarm_score - best[1]) / (cost - best[2]), SCORE_DIGITS)
    return PatternProfile(
        pattern=pattern,
        tier=tier,
        simulated=group.simulated,
        runs=len(group.swarm_scores),
        mean_swarm_score=round(swarm_score, SCORE_DIGITS),
        coordination_gain=round(_mean(group.gains), SCORE_DIGITS),
        gain_over_best_single_member=(
            round(_mean(group.member_gains), SCORE_DIGITS) if group.member_gains else None
        ),
        cost_per_run_usd=round(cost, USD_DIGITS),
        best_single_model=None if best is None else best[0],
        best_single_score=None if best is None else round(best[1], SCORE_DIGITS),
        best_single_cost_per_run_usd=None if best is None else round(best[2], USD_DIGITS),
        score_per_extra_dollar=per_extra_dollar,
    )
