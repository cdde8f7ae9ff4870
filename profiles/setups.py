"""What a setup's profile says beyond its scores: how often its answers were cut off at their
token budget, what they cost against what was expected, who served them, which scorer versions
scored them (`profiles.frame` columns ``truncated``, ``cost_expected_usd``, ``served_by``,
``scorer_version``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from profiles.schema import SCORE_DIGITS, USD_DIGITS

VIA = " via "
"""``model@setting via Provider``: a setup split by the provider that served it."""


def setup_aggregations() -> list[pl.Expr]:
    """Per setup: truncated and answered items, cost against the pre-run estimate (entries that
    carry one), providers and scorer versions."""
    expected = pl.col("cost_expected_usd").is_not_null()
    return [
        pl.col("truncated").sum().alias("truncated_items"),
        pl.col("n").sum().alias("answered_items"),
        pl.col("cost_usd").sum().alias("cost_usd"),
        pl.col("cost_usd").filter(expected).sum().alias("cost_with_estimate_usd"),
        pl.col("cost_expected_usd").filter(expected).sum().alias("cost_expected_usd"),
        expected.any().alias("has_estimate"),
        _distinct("served_by"),
        _distinct("scorer_version"),
    ]


def _distinct(column: str) -> pl.Expr:
    parts = pl.col(column).drop_nulls().str.split("+").explode()
    return parts.unique().sort().alias(column)


def setup_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """`ModelProfile` fields from a row of `setup_aggregations`."""
    answered = int(row["answered_items"] or 0)
    truncated = int(row["truncated_items"] or 0)
    expected = float(row["cost_expected_usd"] or 0.0)
    drift = (
        round(float(row["cost_with_estimate_usd"]) / expected, SCORE_DIGITS)
        if row["has_estimate"] and expected > 0
        else None
    )
    return {
        "truncated_items": truncated,
        "truncation_rate": round(truncated / answered, SCORE_DIGITS) if answered else None,
        "cost_usd": round(float(row["cost_usd"] or 0.0), USD_DIGITS),
        "cost_expected_usd": round(expected, USD_DIGITS) if row["has_estimate"] else None,
        "cost_drift": drift,
        "served_by": list(row["served_by"] or []),
        "scorer_versions": list(row["scorer_version"] or []),
    }


def split_by_provider(entries: pl.DataFrame) -> pl.DataFrame:
    """Each setup's entries apart by who served them: the setup becomes ``setup via P`` (P the
    entry's providers, ``+``-joined when its items were served by several; entries without a
    recorded provider keep the setup alone)."""
    model = pl.col("model").cast(pl.String)
    split = (
        pl.when(pl.col("served_by").is_not_null())
        .then(pl.concat_str(model, pl.lit(VIA), pl.col("served_by")))
        .otherwise(model)
    )
    return entries.with_columns(split.cast(pl.Categorical).alias("model"))
