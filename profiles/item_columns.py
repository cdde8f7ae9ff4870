"""Per-entry columns computed by polars from the ledger: item statistics from
``metadata.items``, the setup columns, and each original's latest scoring.

The same numbers `mapelite.ledger.summary.item_statistics` computes per entry when an append
writes the summary index; this is how a summary rebuild (and the direct ledger read) gets them.
"""

from __future__ import annotations

import hashlib

import polars as pl

from mapelite.ledger.summary import STAT_DIGITS, SUMMARY_COLUMNS, TOKEN_QUANTILES


def _columns(first: str, last: str) -> list[str]:
    return list(SUMMARY_COLUMNS[SUMMARY_COLUMNS.index(first) : SUMMARY_COLUMNS.index(last) + 1])


# What makes a score a setup's and what its answers spent (`summary.setup_statistics`).
SETUP_COLUMNS = _columns("reasoning", "rescore_of")
SETUP_ITEM_COLUMNS = ["items_truncated", "tokens_out_p50", "tokens_out_p90", "served_by"]
SETUP_ITEM_COLUMNS += ["scorer_version"]
SETUP_META_COLUMNS = [c for c in SETUP_COLUMNS if c not in SETUP_ITEM_COLUMNS]


def _item_rows(scan: pl.LazyFrame) -> pl.LazyFrame:
    """One row per recorded item of every entry (``seq`` beside the item's own fields)."""
    return (
        scan.select("seq", pl.col("metadata").struct.field("items"))
        .explode("items")
        .drop_nulls("items")
        .unnest("items")
        .filter(pl.col("item_id").is_not_null())
    )


def item_statistics(scan: pl.LazyFrame) -> pl.LazyFrame:
    """Per entry (``seq``), the item statistics `mapelite.ledger.summary.item_statistics`
    computes, from the ledger's ``metadata.items``. Entries without items get no row."""
    items = (
        _item_rows(scan)
        .with_columns(
            pl.concat_str(pl.col("bank").fill_null("core"), pl.lit(":"), pl.col("item_id")).alias(
                "key"
            ),
            pl.col("error").is_null().alias("scored"),
        )
        .with_columns(pl.col("family").fill_null(pl.col("key")).alias("cluster"))
    )
    scored = pl.col("scored")
    score = pl.col("score").filter(scored)
    per_entry = items.group_by("seq").agg(
        (~scored).sum().cast(pl.Int64).alias("items_error"),
        score.is_in([0.0, 1.0]).all().alias("item_binary"),
        pl.col("key").sort().str.join("\n").alias("keys"),
        scored.sum().cast(pl.Int64).alias("n"),
        score.sum().alias("total"),
        (score * score).sum().alias("total_sq"),
        pl.col("family").filter(scored).is_not_null().any().alias("families"),
    )
    # Items that share a family: cluster totals first (only entries that have families).
    clusters = (
        items.filter(scored & pl.col("family").filter(scored).is_not_null().any().over("seq"))
        .group_by("seq", "cluster")
        .agg(pl.col("score").sum().alias("total"), pl.len().cast(pl.Int64).alias("count"))
        .with_columns(
            (pl.col("total").sum().over("seq") / pl.col("count").sum().over("seq")).alias("mean")
        )
        .group_by("seq")
        .agg(
            pl.len().cast(pl.Int64).alias("family_clusters"),
            ((pl.col("total") - pl.col("count") * pl.col("mean")) ** 2).sum().alias("family_sq"),
        )
    )
    n = pl.col("n")
    # Without families every scored item is its own cluster: sum (x - mean)^2 = SS - S^2 / n.
    g = pl.when(pl.col("families")).then(pl.col("family_clusters")).otherwise(n)
    squares = (
        pl.when(pl.col("families"))
        .then(pl.col("family_sq"))
        .otherwise(pl.col("total_sq") - pl.col("total") ** 2 / n)
    )
    return per_entry.join(clusters, on="seq", how="left").select(
        "seq",
        n.alias("items_scored"),
        "items_error",
        pl.col("total").fill_null(0.0).round(STAT_DIGITS).alias("item_sum"),
        pl.when(g >= 2)
        .then(g / (g - 1) * squares.clip(0.0) / n.cast(pl.Float64) ** 2)
        .round(STAT_DIGITS)
        .alias("item_var"),
        g.fill_null(0).alias("item_clusters"),
        "item_binary",
        pl.col("keys")
        .map_elements(
            lambda keys: int(hashlib.sha256(keys.encode()).hexdigest()[:15], 16),
            return_dtype=pl.Int64,
        )
        .alias("item_sample"),
    )


def setup_statistics(scan: pl.LazyFrame) -> pl.LazyFrame:
    """Per entry (``seq``), the item part of `mapelite.ledger.summary.setup_statistics`: items
    cut off at their budget, p50/p90 of answered items' completion tokens, who served them,
    which scorer versions scored them. Entries without items get no row."""
    items = _item_rows(scan)
    answered = pl.col("error").is_null() & ~pl.col("cached").fill_null(False)
    tokens = pl.col("tokens_out").fill_null(0).filter(answered)
    return items.group_by("seq").agg(
        (pl.col("finish_reason") == "length")
        .fill_null(False)
        .sum()
        .cast(pl.Int64)
        .alias("items_truncated"),
        *(
            tokens.quantile(q, "higher").cast(pl.Int64).alias(f"tokens_out_p{round(q * 100)}")
            for q in TOKEN_QUANTILES
        ),
        _joined(pl.col("served_by").filter(answered)).alias("served_by"),
        _joined(pl.col("scorer_version")).alias("scorer_version"),
    )


def _joined(values: pl.Expr) -> pl.Expr:
    distinct = values.drop_nulls().unique().sort().str.join("+")
    return pl.when(distinct == "").then(None).otherwise(distinct)


def setup_column_exprs() -> list[pl.Expr]:
    """The `SETUP_COLUMNS` of a ledger scan joined with its `setup_statistics`, in order."""
    meta = pl.col("metadata").struct
    return [
        meta.field(name)
        if name in SETUP_META_COLUMNS
        else pl.col(name).fill_null(0)
        if name == "items_truncated"
        else pl.col(name)
        for name in SETUP_COLUMNS
    ]


def latest_scoring(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Each original entry in its latest scoring: a rescoring (``rescore_of``: the original's
    hash) replaces the original and any earlier rescoring of it (`mapelite.ledger.rescore`)."""
    # Checked first (the summary's rows are in memory already): a ledger without rescorings,
    # the usual case, is not grouped by original at all.
    if raw.select(pl.col("rescore_of").is_null().all()).collect().item():
        return raw
    original = pl.coalesce(pl.col("rescore_of"), pl.col("hash"))
    return raw.filter(pl.col("seq") == pl.col("seq").max().over(original))
