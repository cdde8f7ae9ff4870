"""Roll the ledger up into model and pattern profiles (definitions in `profiles.schema`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from mapelite.catalog import load_catalog
from mapelite.errors import MapEliteError
from mapelite.fitness import FitnessWeights, fitness
from mapelite.schemas import HARNESS_NAMES, split_model_id, utc_now_iso
from mapelite.settings import get_settings
from profiles.frame import SOLO, EntryFilters, load_entries, verified_entry_count
from profiles.pattern_rollup import pattern_profiles
from profiles.schema import (
    SCORE_DIGITS,
    TREND_THRESHOLD,
    TREND_WINDOW,
    USD_DIGITS,
    HarnessProfile,
    ModelProfile,
    Report,
    Trend,
)


def build_report(
    ledger_path: Path,
    filters: EntryFilters | None = None,
    weights: FitnessWeights | None = None,
    *,
    use_summary: bool = True,
) -> Report:
    """Verify the ledger, then roll it up. Missing/corrupt ledger -> LedgerError (exit 1).

    The entries are read from the ledger's summary index (`profiles.frame`) unless
    ``use_summary`` is False; the report is the same either way.
    """
    filters = filters or EntryFilters()
    weights = weights or get_settings().fitness_weights()  # [weights] of the config file
    total = verified_entry_count(ledger_path)
    tier_models = load_catalog().tier(filters.tier) if filters.tier is not None else None
    entries = load_entries(
        ledger_path, filters, tier_models, entries=total, use_summary=use_summary
    )
    models = model_profiles(entries, weights)
    return Report(
        generated_at=utc_now_iso(),
        ledger_path=str(ledger_path),
        ledger_entries=total,
        entries_used=entries.height,
        filters=filters.as_dict(),
        fitness_weights={str(h): w for h, w in sorted(weights.weights.items())},
        simulated=bool(entries["simulated"].any()) if entries.height else False,
        models=models,
        patterns=pattern_profiles(entries),
    )


def model_profiles(entries: pl.DataFrame, weights: FitnessWeights) -> list[ModelProfile]:
    solo = entries.lazy().filter(SOLO)
    stats_query = solo.group_by("model").agg(
        pl.len().alias("entries"),
        pl.col("failed").sum().alias("failed_entries"),
        pl.col("ts").min().alias("first"),
        pl.col("ts").max().alias("last"),
        pl.col("simulated").any().alias("simulated"),
    )
    # One run for the three queries: the solo filter is shared and they overlap.
    stats, per_harness, evaluations = pl.collect_all(
        [stats_query, _per_harness(solo), _evaluations(solo, weights)]
    )
    if stats.height == 0:
        return []
    harness_rows = _by_model(per_harness)
    history_rows = _by_model(evaluations)
    unranked: list[dict[str, object]] = []
    for row in stats.sort("model").iter_rows(named=True):
        model: str = row["model"]
        harnesses = [
            HarnessProfile(
                harness_id=h["harness_id"],
                harness=HARNESS_NAMES[h["harness_id"]],
                average=round(h["average"], SCORE_DIGITS),
                latest=round(h["latest"], SCORE_DIGITS),
                entries=h["entries"],
            )
            for h in harness_rows[model].iter_rows(named=True)
        ]
        latest = fitness({h.harness_id: h.latest for h in harnesses}, weights)
        history: list[float] = history_rows[model]["fitness"].to_list()
        slope = _slope(history[-TREND_WINDOW:])
        price = _price_per_m(model)
        unranked.append(
            {
                "model": model,
                "provider": split_model_id(model)[0],
                "simulated": row["simulated"],
                "latest_fitness": round(latest, SCORE_DIGITS),
                "average_fitness": round(sum(history) / len(history), SCORE_DIGITS),
                "evaluations": len(history),
                "entries": row["entries"],
                "failed_entries": row["failed_entries"],
                "first_evaluated": _iso(row["first"]),
                "last_evaluated": _iso(row["last"]),
                "trend": _trend(slope),
                "trend_slope": None if slope is None else round(slope, SCORE_DIGITS),
                "price_per_m_usd": None if price is None else round(price, USD_DIGITS),
                "score_per_dollar": (
                    round(latest / price, SCORE_DIGITS) if price is not None and price > 0 else None
                ),
                "harnesses": harnesses,
            }
        )
    return _rank_and_frontier(unranked)


def _per_harness(solo: pl.LazyFrame) -> pl.LazyFrame:
    # The latest score per group, by time then ledger order: an arg-max inside each group
    # instead of sorting the whole ledger first.
    return (
        solo.group_by("model", "harness_id")
        .agg(
            pl.col("score").mean().alias("average"),
            pl.col("score").sort_by("ts", "seq").last().alias("latest"),
            pl.len().alias("entries"),
        )
        .sort("model", "harness_id")
    )


def _evaluations(solo: pl.LazyFrame, weights: FitnessWeights) -> pl.LazyFrame:
    """Fitness of every (model, run, repeat), in time order.

    Same formula as `mapelite.fitness.fitness` (a harness without a weight weighs 0; no weight
    at all gives 0), vectorised: a ledger can hold far more evaluations than models.
    """
    table = pl.DataFrame(
        {"harness_id": list(weights.weights), "weight": list(weights.weights.values())},
        schema={"harness_id": pl.Int64, "weight": pl.Float64},
    )
    return (
        solo.group_by("model", "run_id", "repeat", "harness_id")
        .agg(pl.col("score").mean(), pl.col("ts").max(), pl.col("seq").max())
        .join(table.lazy(), on="harness_id", how="left")
        .with_columns(pl.col("weight").fill_null(0.0), pl.col("score").clip(0.0, 1.0))
        .group_by("model", "run_id", "repeat")
        .agg(
            pl.when(pl.col("weight").sum() > 0)
            .then((pl.col("score") * pl.col("weight")).sum() / pl.col("weight").sum())
            .otherwise(0.0)
            .alias("fitness"),
            pl.col("ts").max(),
            pl.col("seq").max(),
        )
        .sort("model", "ts", "seq")
    )


def _by_model(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {str(key[0]): part for key, part in frame.partition_by("model", as_dict=True).items()}


def _slope(values: list[float]) -> float | None:
    """Least-squares slope of ``values`` against 0, 1, 2, ... (None below two points)."""
    n = len(values)
    if n < 2:
        return None
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    covariance = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(values))
    variance = sum((i - mean_x) ** 2 for i in range(n))
    return covariance / variance


def _trend(slope: float | None) -> Trend:
    if slope is None:
        return "n/a"
    if slope > TREND_THRESHOLD:
        return "improving"
    if slope < -TREND_THRESHOLD:
        return "declining"
    return "stable"


def _price_per_m(model: str) -> float | None:
    try:
        entry = load_catalog().get(model)
    except MapEliteError:  # a model the current catalog no longer knows: no price, no frontier
        return None
    return (entry.input_price_per_m + entry.output_price_per_m) / 2


def _rank_and_frontier(rows: list[dict[str, object]]) -> list[ModelProfile]:
    def price(row: dict[str, object]) -> float:
        value = row["price_per_m_usd"]
        return float(value) if isinstance(value, int | float) else float("inf")

    def fit(row: dict[str, object]) -> float:
        value = row["latest_fitness"]
        assert isinstance(value, float)
        return value

    ordered = sorted(rows, key=lambda r: (-fit(r), price(r), str(r["model"])))
    priced = [r for r in rows if r["price_per_m_usd"] is not None]
    profiles = []
    for rank, row in enumerate(ordered, start=1):
        dominated = any(
            price(o) <= price(row)
            and fit(o) >= fit(row)
            and (price(o) < price(row) or fit(o) > fit(row))
            for o in priced
        )
        on_frontier = row["price_per_m_usd"] is not None and not dominated
        profiles.append(
            ModelProfile.model_validate({**row, "rank": rank, "on_pareto_frontier": on_frontier})
        )
    return profiles


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
