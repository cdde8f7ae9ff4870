"""Per-entry item statistics computed by polars from the ledger's ``metadata.items``.

The same numbers `mapelite.ledger_summary.item_statistics` computes per entry when an append
writes the summary index; this is how a summary rebuild (and the direct ledger read) gets them.
"""

from __future__ import annotations

import hashlib

import polars as pl


def item_statistics(scan: pl.LazyFrame) -> pl.LazyFrame:
    """Per entry (``seq``), the item statistics `mapelite.ledger_summary.item_statistics`
    computes, from the ledger's ``metadata.items``. Entries without items get no row."""
    items = (
        scan.select("seq", pl.col("metadata").struct.field("items"))
        .explode("items")
        .drop_nulls("items")
        .unnest("items")
        .filter(pl.col("item_id").is_not_null())
        .with_columns(
            pl.concat_str(pl.col("bank").fill_null("core"), pl.lit(":"), pl.col("item_id")).alias(
                "key"
            ),
            pl.col("error").is_null().alias("scored"),
        )
        .with_columns(pl.col("family").fill_null(pl.col("key")).alias("cluster"))
    )
    per_entry = items.group_by("seq").agg(
        (~pl.col("scored")).sum().cast(pl.Int64).alias("items_error"),
        pl.col("score").filter(pl.col("scored")).is_in([0.0, 1.0]).all().alias("item_binary"),
        pl.col("key").sort().str.join("\n").alias("keys"),
    )
    clusters = (
        items.filter(pl.col("scored"))
        .group_by("seq", "cluster")
        .agg(pl.col("score").sum().alias("total"), pl.len().cast(pl.Int64).alias("count"))
        .with_columns(
            (pl.col("total").sum().over("seq") / pl.col("count").sum().over("seq")).alias("mean")
        )
        .group_by("seq")
        .agg(
            pl.col("count").sum().alias("items_scored"),
            pl.col("total").sum().alias("item_sum"),
            pl.len().cast(pl.Int64).alias("item_clusters"),
            ((pl.col("total") - pl.col("count") * pl.col("mean")) ** 2).sum().alias("squares"),
        )
    )
    g = pl.col("item_clusters")
    return per_entry.join(clusters, on="seq", how="left").select(
        "seq",
        pl.col("items_scored").fill_null(0),
        "items_error",
        pl.col("item_sum").fill_null(0.0),
        pl.when(g >= 2)
        .then(g / (g - 1) * pl.col("squares") / pl.col("items_scored").cast(pl.Float64) ** 2)
        .alias("item_var"),
        g.fill_null(0),
        "item_binary",
        pl.col("keys")
        .map_elements(
            lambda keys: hashlib.sha256(keys.encode()).hexdigest()[:12], return_dtype=pl.String
        )
        .alias("item_sample"),
    )
