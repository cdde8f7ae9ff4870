"""Intervals over ledger entries known only by their item statistics (summary index columns).

Each entry carries ``n`` scored items, their ``score_sum``, the clustered variance of their mean
``var``, ``clusters`` and ``binary`` (`profiles.frame`). A group of entries (one, or every
evaluation of a model on a harness) is pooled:

- value = all scored items' mean;
- 0/1 scores, every item its own cluster: Wilson at the size of the largest single entry —
  repeats of an item are one cluster, so answering the same items again does not narrow it;
- otherwise `mapelite.stats.core.interval_from_moments` with the n-weighted mean of the entries'
  variances and the largest entry's cluster count (same reasoning).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from mapelite.stats.core import Interval, interval_from_moments, wilson
from profiles.schema import SCORE_DIGITS, Estimate

HAS_SCORE = pl.col("n") > 0


def pooled_aggregations() -> list[pl.Expr]:
    """The columns `pooled_interval` reads, aggregated over a group of entries."""
    return [
        pl.col("n").sum().alias("n"),
        pl.col("score_sum").sum().alias("s"),
        (pl.col("n") * pl.col("var")).sum().alias("nvar"),
        pl.col("n").filter(pl.col("var").is_not_null()).sum().alias("nvar_n"),
        pl.col("clusters").max().alias("clusters"),
        pl.col("n").max().alias("max_n"),
        pl.col("binary").filter(HAS_SCORE).all().alias("binary"),
        (pl.col("clusters") >= pl.col("n")).filter(HAS_SCORE).all().alias("unclustered"),
    ]


def entry_columns() -> list[pl.Expr]:
    """The same columns for single entries (a group of one), e.g. a model's latest entry."""
    return [
        pl.col("n"),
        pl.col("score_sum").alias("s"),
        (pl.col("n") * pl.col("var")).alias("nvar"),
        pl.when(pl.col("var").is_not_null()).then(pl.col("n")).otherwise(0).alias("nvar_n"),
        pl.col("clusters"),
        pl.col("n").alias("max_n"),
        pl.col("binary"),
        (pl.col("clusters") >= pl.col("n")).alias("unclustered"),
    ]


def pooled_interval(row: Mapping[str, object], prefix: str = "") -> Interval | None:
    """The interval of a row holding the aggregated columns (optionally prefixed); None when
    the group has no scored item."""

    def get(name: str) -> Any:
        return row[prefix + name]

    n = int(get("n") or 0)
    if n <= 0:
        return None
    mean = float(get("s") or 0.0)
    mean /= n
    clusters = int(get("clusters") or 0)
    binary = bool(get("binary"))
    if binary and bool(get("unclustered")):
        size = int(get("max_n") or n)
        low, high = wilson(mean * size, size)
        return Interval(
            mean=mean, n=n, clusters=clusters, ci_low=low, ci_high=high, method="wilson"
        )
    weight = float(get("nvar_n") or 0.0)
    variance = float(get("nvar") or 0.0) / weight if weight > 0 else math.inf
    return interval_from_moments(mean, n, variance, clusters, binary=binary)


def to_estimate(interval: Interval | None) -> Estimate | None:
    if interval is None:
        return None
    return Estimate(
        value=round(interval.mean, SCORE_DIGITS),
        n=interval.n,
        ci_low=round(interval.ci_low, SCORE_DIGITS),
        ci_high=round(interval.ci_high, SCORE_DIGITS),
    )
