"""Roll the ledger up into model and pattern profiles (definitions in `profiles.schema`)."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import polars as pl

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import get_settings
from mapelite.errors import MapEliteError
from mapelite.schemas import HARNESS_NAMES, HarnessResult, split_model_id, utc_now_iso
from mapelite.stats.core import Interval, normal_quantile, slope_interval, weighted_interval
from mapelite.stats.fitness import FitnessWeights, fitness
from mapelite.stats.verdicts import Verdict, swarm_verdicts
from profiles.estimates import (
    HAS_SCORE,
    entry_columns,
    pooled_aggregations,
    pooled_interval,
    to_estimate,
)
from profiles.frame import SOLO, EntryFilters, load_entries, verified_entry_count
from profiles.pattern_rollup import latest_runs, pattern_profiles
from profiles.schema import (
    SCORE_DIGITS,
    TREND_MIN_EVALUATIONS,
    TREND_WINDOW,
    USD_DIGITS,
    Coverage,
    Estimate,
    HarnessProfile,
    ModelProfile,
    PatternProfile,
    Report,
    SwarmVerdict,
    Trend,
)
from profiles.setups import VIA, setup_aggregations, setup_fields, split_by_provider


def build_report(
    ledger_path: Path,
    filters: EntryFilters | None = None,
    weights: FitnessWeights | None = None,
    *,
    use_summary: bool = True,
    by_provider: bool = False,
) -> Report:
    """Verify the ledger, then roll it up. Missing/corrupt ledger -> LedgerError (exit 1).

    The entries are read from the ledger's summary index (`profiles.frame`) unless
    ``use_summary`` is False; the report is the same either way. Profiles are per setup
    (``model@setting``); ``by_provider`` splits each by who served its answers.
    """
    filters = filters or EntryFilters()
    weights = weights or get_settings().fitness_weights()  # [weights] of the config file
    total = verified_entry_count(ledger_path)
    tier_models = load_catalog().tier(filters.tier) if filters.tier is not None else None
    entries = load_entries(
        ledger_path, filters, tier_models, entries=total, use_summary=use_summary
    )
    models = model_profiles(split_by_provider(entries) if by_provider else entries, weights)
    patterns = with_verdicts(ledger_path, pattern_profiles(entries), entries)
    return Report(
        generated_at=utc_now_iso(),
        ledger_path=str(ledger_path),
        ledger_entries=total,
        entries_used=entries.height,
        filters=filters.as_dict(),
        fitness_weights={str(h): w for h, w in sorted(weights.weights.items())},
        simulated=bool(entries["simulated"].any()) if entries.height else False,
        models=models,
        patterns=patterns,
    )


def with_verdicts(
    ledger_path: Path, patterns: list[PatternProfile], entries: pl.DataFrame
) -> list[PatternProfile]:
    """Each pattern row with the swarm verdicts (`mapelite.stats.verdicts`) of its latest run, read
    from the ledger itself: a majority vote needs the recorded answers, which the summary index
    does not hold. Only those runs' lines are parsed (their ledger indexes come from
    ``entries``), in one pass that stops after the last of them."""
    wanted = latest_runs(patterns)
    if not wanted:
        return patterns
    lines = entries.filter(
        pl.col("run_id").cast(pl.String).is_in(list(wanted)) & pl.col("pattern").is_not_null()
    )["seq"]
    indexes = set(lines.to_list())
    last = max(indexes, default=-1)
    runs: dict[str, list[HarnessResult]] = defaultdict(list)
    with ledger_path.open("rb", buffering=1 << 20) as handle:
        for index, line in enumerate(handle):
            if index > last:
                break
            if index in indexes:
                result = HarnessResult.model_validate_json(line)
                runs[result.metadata.run_id].append(result)
    updated = []
    for row in patterns:
        run = runs.get(row.verdicts_run_id or "")
        if run:
            found = swarm_verdicts(run).verdicts
            row = row.model_copy(update={"verdicts": [_rounded_verdict(v) for v in found]})
        updated.append(row)
    return updated


def _rounded_verdict(verdict: Verdict) -> SwarmVerdict:
    def score(value: float | None) -> float | None:
        return None if value is None else round(value, SCORE_DIGITS)

    return SwarmVerdict(
        baseline=verdict.baseline,
        n=verdict.n,
        swarm_score=score(verdict.swarm_score),
        baseline_score=score(verdict.baseline_score),
        difference=score(verdict.difference),
        ci_low=score(verdict.ci_low),
        ci_high=score(verdict.ci_high),
        p_value=score(verdict.p_value),
        extra_cost_usd=round(verdict.extra_cost_usd, USD_DIGITS),
        sentence=verdict.sentence,
    )


def model_profiles(entries: pl.DataFrame, weights: FitnessWeights) -> list[ModelProfile]:
    solo = entries.lazy().filter(SOLO)
    stats_query = solo.group_by("model").agg(
        pl.len().alias("entries"),
        pl.col("failed").sum().alias("failed_entries"),
        pl.col("errors").sum().alias("item_errors"),
        pl.col("ts").min().alias("first"),
        pl.col("ts").max().alias("last"),
        pl.col("simulated").any().alias("simulated"),
        *setup_aggregations(),
    )
    # One run for the three queries: the solo filter is shared and they overlap.
    stats, per_harness, latest, evaluations = pl.collect_all(
        [stats_query, _per_harness(solo), _latest(solo), _evaluations(solo, weights)]
    )
    if stats.height == 0:
        return []
    harness_rows = _by_model(per_harness)
    latest_rows = {(str(r["model"]), r["harness_id"]): r for r in latest.iter_rows(named=True)}
    history_rows = _by_model(evaluations)
    unranked: list[dict[str, object]] = []
    for row in stats.sort("model").iter_rows(named=True):
        model: str = row["model"]
        harnesses: list[HarnessProfile] = []
        latest_parts: dict[int, Interval] = {}
        average_parts: dict[int, Interval] = {}
        for h in harness_rows[model].iter_rows(named=True):
            harness_id: int = h["harness_id"]
            average = pooled_interval(h)
            last = latest_rows.get((model, harness_id))
            recent = pooled_interval(last) if last is not None else None
            if average is not None:
                average_parts[harness_id] = average
            if recent is not None:
                latest_parts[harness_id] = recent
            harnesses.append(
                HarnessProfile(
                    harness_id=harness_id,
                    harness=HARNESS_NAMES[harness_id],
                    latest=to_estimate(recent),
                    average=to_estimate(average),
                    entries=h["entries"],
                    item_errors=h["item_errors"],
                )
            )
        coverage = Coverage(
            complete=len(latest_parts) == len(HARNESS_NAMES),
            harnesses_scored=sorted(latest_parts),
            harnesses=len(latest_parts),
            items_scored=sum(h.average.n for h in harnesses if h.average is not None),
            item_errors=row["item_errors"],
            failed_entries=row["failed_entries"],
        )
        fit = _fitness(latest_parts, weights) if coverage.complete else None
        history = history_rows.get(model)
        complete = None if history is None else history.filter(pl.col("complete"))
        values: list[float] = [] if complete is None else complete["fitness"].to_list()
        trend, slope = _trend(values[-TREND_WINDOW:])
        price = _price_per_m(model)
        unranked.append(
            {
                "model": model,
                "provider": split_model_id(model)[0],
                "simulated": row["simulated"],
                "coverage": coverage,
                "fitness": fit,
                "average_fitness": (
                    _fitness(average_parts, weights) if coverage.complete else None
                ),
                "evaluations": 0 if history is None else history.height,
                "entries": row["entries"],
                "failed_entries": row["failed_entries"],
                "first_evaluated": _iso(row["first"]),
                "last_evaluated": _iso(row["last"]),
                "trend": trend,
                "trend_slope": _round(slope[0]) if slope else None,
                "trend_ci_low": _round(slope[1]) if slope else None,
                "trend_ci_high": _round(slope[2]) if slope else None,
                "price_per_m_usd": None if price is None else round(price, USD_DIGITS),
                "score_per_dollar": (
                    round(fit.value / price, SCORE_DIGITS)
                    if fit is not None and price is not None and price > 0
                    else None
                ),
                "harnesses": harnesses,
                **setup_fields(row),
            }
        )
    return _rank_and_frontier(unranked)


def _round(value: float) -> float:
    return round(value, SCORE_DIGITS)


def _fitness(parts: dict[int, Interval], weights: FitnessWeights) -> Estimate:
    """Weighted fitness of per-harness intervals with its delta-method CI."""
    weighted = [(weights.weight(h), part) for h, part in sorted(parts.items())]
    value, low, high = weighted_interval(weighted)
    # The point value is `mapelite.stats.fitness.fitness`, so the two never disagree.
    value = fitness({h: part.mean for h, part in parts.items()}, weights)
    return Estimate(
        value=_round(value),
        n=sum(part.n for part in parts.values()),
        ci_low=_round(min(low, value)),
        ci_high=_round(max(high, value)),
    )


def _per_harness(solo: pl.LazyFrame) -> pl.LazyFrame:
    """Every scored item of a model on a harness, pooled (`profiles.estimates`)."""
    return (
        solo.group_by("model", "harness_id")
        .agg(
            *pooled_aggregations(),
            pl.len().alias("entries"),
            pl.col("errors").sum().alias("item_errors"),
        )
        .sort("model", "harness_id")
    )


def _latest(solo: pl.LazyFrame) -> pl.LazyFrame:
    """The latest entry with a score per (model, harness), by time then ledger order: an
    arg-max inside each group, then the entry's own columns."""
    latest_seq = (
        solo.filter(HAS_SCORE)
        .group_by("model", "harness_id")
        .agg(pl.col("seq").sort_by("ts", "seq").last())
    )
    return latest_seq.join(solo, on=["model", "harness_id", "seq"]).select(
        "model", "harness_id", *entry_columns()
    )


def _evaluations(solo: pl.LazyFrame, weights: FitnessWeights) -> pl.LazyFrame:
    """Fitness of every (model, run, repeat) with a score, in time order; ``complete`` when all
    8 harnesses have one (only those make a trend).

    Same formula as `mapelite.stats.fitness.fitness`, vectorised: a ledger can hold far more
    evaluations than models. Errors are not scores: a harness with no scored item is missing.
    """
    table = pl.DataFrame(
        {"harness_id": list(weights.weights), "weight": list(weights.weights.values())},
        schema={"harness_id": pl.Int64, "weight": pl.Float64},
    )
    return (
        solo.filter(HAS_SCORE)
        .group_by("model", "run_id", "repeat", "harness_id")
        .agg(
            (pl.col("score_sum").sum() / pl.col("n").sum()).alias("score"),
            pl.col("ts").max(),
            pl.col("seq").max(),
        )
        .join(table.lazy(), on="harness_id", how="left")
        .with_columns(pl.col("weight").fill_null(0.0), pl.col("score").clip(0.0, 1.0))
        .group_by("model", "run_id", "repeat")
        .agg(
            pl.when(pl.col("weight").sum() > 0)
            .then((pl.col("score") * pl.col("weight")).sum() / pl.col("weight").sum())
            .otherwise(0.0)
            .alias("fitness"),
            (pl.len() == len(HARNESS_NAMES)).alias("complete"),  # one row per harness here
            pl.col("ts").max(),
            pl.col("seq").max(),
        )
        .sort("model", "ts", "seq")
    )


def _by_model(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {str(key[0]): part for key, part in frame.partition_by("model", as_dict=True).items()}


def _trend(values: list[float]) -> tuple[Trend, tuple[float, float, float] | None]:
    """Trend label and (slope, ci_low, ci_high) per evaluation; a direction only when the
    slope's interval excludes 0, nothing below `TREND_MIN_EVALUATIONS`."""
    if len(values) < TREND_MIN_EVALUATIONS:
        return "n/a", None
    slope, low, high = slope_interval(values)
    if low > 0:
        return "improving", (slope, low, high)
    if high < 0:
        return "declining", (slope, low, high)
    return "stable", (slope, low, high)


def _price_per_m(model: str) -> float | None:
    try:
        entry = load_catalog().get(model.partition(VIA)[0])
    except MapEliteError:  # a model the current catalog no longer knows: no price, no frontier
        return None
    return (entry.input_price_per_m + entry.output_price_per_m) / 2


def _rank_and_frontier(rows: list[dict[str, object]]) -> list[ModelProfile]:
    """Rank and band the models with complete coverage; the others follow, unranked."""

    def price(row: dict[str, object]) -> float:
        value = row["price_per_m_usd"]
        return float(value) if isinstance(value, int | float) else float("inf")

    def fit(row: dict[str, object]) -> Estimate | None:
        value = row["fitness"]
        return value if isinstance(value, Estimate) else None

    full = sorted(
        (r for r in rows if fit(r) is not None),
        key=lambda r: (-fit(r).value, price(r), str(r["model"])),  # type: ignore[union-attr]
    )
    partial = sorted(
        (r for r in rows if fit(r) is None),
        key=lambda r: (-_coverage(r).harnesses, str(r["model"])),
    )
    priced = [r for r in full if r["price_per_m_usd"] is not None]
    z = normal_quantile(0.975)
    profiles = []
    band = 0
    previous: Estimate | None = None
    leader: Estimate | None = None  # the first model of the current band
    for rank, row in enumerate(full, start=1):
        current = fit(row)
        assert current is not None
        # Compared with the band's first model too, or a chain of small steps would put the
        # best and the worst model in one band.
        if (
            previous is None
            or leader is None
            or _significantly_below(current, previous, z)
            or _significantly_below(current, leader, z)
        ):
            band += 1
            leader = current
        previous = current
        dominated = any(
            price(o) <= price(row)
            and fit(o).value >= current.value  # type: ignore[union-attr]
            and (price(o) < price(row) or fit(o).value > current.value)  # type: ignore[union-attr]
            for o in priced
        )
        on_frontier = row["price_per_m_usd"] is not None and not dominated
        profiles.append(
            ModelProfile.model_validate(
                {**row, "rank": rank, "band": band, "on_pareto_frontier": on_frontier}
            )
        )
    for row in partial:
        profiles.append(
            ModelProfile.model_validate(
                {**row, "rank": None, "band": None, "on_pareto_frontier": False}
            )
        )
    return profiles


def _coverage(row: dict[str, object]) -> Coverage:
    value = row["coverage"]
    assert isinstance(value, Coverage)
    return value


def _significantly_below(lower: Estimate, upper: Estimate, z: float) -> bool:
    """Two-sided z test at 5% of two fitness values, standard errors read off their CIs."""
    se_low = (lower.ci_high - lower.ci_low) / (2 * z)
    se_up = (upper.ci_high - upper.ci_low) / (2 * z)
    spread = math.sqrt(se_low**2 + se_up**2)
    if spread == 0:
        return upper.value > lower.value
    return (upper.value - lower.value) / spread > z


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
