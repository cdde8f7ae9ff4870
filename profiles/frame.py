"""The ledger as a polars frame: verified first, then scanned lazily, only the fields we need.

A ledger line also carries per-item answers (``metadata.items``), which can be large; the scan
schema leaves them out, so polars never materialises them and a 1M-entry ledger never becomes
Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from mapelite.errors import InvalidInputError, LedgerError
from mapelite.ledger import Ledger

# Only these fields are read; everything else on a line (items, hashes, tokens...) is skipped.
# ``tier`` and ``repeat`` are optional extra metadata keys: read when a flow records them.
_METADATA_SCHEMA = pl.Struct(
    {
        "run_id": pl.String,
        "pattern": pl.String,
        "stage": pl.Int64,
        "agent": pl.Int64,
        "role": pl.String,
        "cost_usd": pl.Float64,
        "error": pl.String,
        "simulated": pl.Boolean,
        "tier": pl.String,
        "repeat": pl.Int64,
    }
)
LEDGER_SCAN_SCHEMA: dict[str, pl.DataType] = {
    "harness_id": pl.Int64(),
    "model": pl.String(),
    "scores": pl.Struct({"normalized": pl.Float64}),
    "timestamp": pl.String(),
    "metadata": _METADATA_SCHEMA,
}

# Column names and types of the frame every roll-up works on (also the empty frame's schema).
ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "seq": pl.UInt32(),
    "harness_id": pl.Int64(),
    "model": pl.String(),
    "score": pl.Float64(),
    "ts": pl.Datetime("us", "UTC"),
    "run_id": pl.String(),
    "repeat": pl.Int64(),
    "pattern": pl.String(),
    "stage": pl.Int64(),
    "role": pl.String(),
    "cost_usd": pl.Float64(),
    "failed": pl.Boolean(),
    "simulated": pl.Boolean(),
    "tier": pl.String(),
}

# Entries whose score is the model's own: the single model of a batch/eval, or a worker of a
# swarm's first stage (later stages also reflect the agents before them).
SOLO = pl.col("role").is_in(["single", "worker"]) & (pl.col("stage").fill_null(0) == 0)
# Entries of single-model runs: no pattern (batch, eval) or the one-agent pattern ":0".
SINGLE_MODEL_RUN = SOLO & (pl.col("pattern").is_null() | (pl.col("pattern") == ":0"))


@dataclass(frozen=True)
class EntryFilters:
    """Which ledger entries a report covers. ``None`` means no restriction."""

    tier: str | None = None
    provider: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    run_id: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "tier": self.tier,
            "provider": self.provider,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "run_id": self.run_id,
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def parse_when(text: str | None, *, option: str) -> datetime | None:
    """``2025-01-31`` or a full ISO-8601 time; naive times are taken as UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(
            f"{option} {text!r} is not a date; use e.g. 2025-01-31 or 2025-01-31T12:00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def verified_entry_count(path: Path) -> int:
    """Number of entries of a sound ledger; LedgerError when it is missing or corrupt."""
    if not path.exists():
        raise LedgerError(f"no ledger at {path}; run a batch, eval or swarm first")
    report = Ledger(path).verify()
    if not report.valid:
        raise LedgerError(
            f"ledger {path} is corrupt at entry {report.first_corrupt} "
            f"(0-based line index): {report.reason}"
        )
    return report.entries


def empty_entries() -> pl.DataFrame:
    return pl.DataFrame(schema=ENTRY_SCHEMA)


def scan_entries(path: Path) -> pl.LazyFrame:
    """The ledger's entries, one row each, lazily. Failed runs score 0 whatever they recorded."""
    meta = pl.col("metadata").struct
    failed = meta.field("error").is_not_null()
    return (
        pl.scan_ndjson(path, schema=LEDGER_SCAN_SCHEMA)
        .with_row_index("seq")
        .select(
            pl.col("seq"),
            pl.col("harness_id"),
            pl.col("model"),
            pl.when(failed)
            .then(0.0)
            .otherwise(pl.col("scores").struct.field("normalized"))
            .alias("score"),
            pl.col("timestamp").str.to_datetime(time_unit="us", time_zone="UTC").alias("ts"),
            meta.field("run_id"),
            meta.field("repeat").fill_null(0),
            meta.field("pattern"),
            meta.field("stage"),
            meta.field("role").fill_null("single"),
            meta.field("cost_usd").fill_null(0.0),
            failed.alias("failed"),
            (
                meta.field("simulated").fill_null(False)
                | pl.col("model").str.starts_with("mockllm/")
            ).alias("simulated"),
            meta.field("tier"),
        )
    )


def apply_filters(
    entries: pl.LazyFrame, filters: EntryFilters, tier_models: list[str] | None
) -> pl.LazyFrame:
    """Restrict to the tier's models, a provider, a time window and/or one run."""
    if filters.tier is not None and tier_models is not None:
        entries = entries.filter(pl.col("model").is_in(tier_models))
    if filters.provider is not None:
        prefix = filters.provider.rstrip("/") + "/"
        entries = entries.filter(pl.col("model").str.starts_with(prefix))
    if filters.since is not None:
        entries = entries.filter(pl.col("ts") >= filters.since)
    if filters.until is not None:
        entries = entries.filter(pl.col("ts") <= filters.until)
    if filters.run_id is not None:
        entries = entries.filter(pl.col("run_id") == filters.run_id)
    return entries


def load_entries(path: Path, filters: EntryFilters, tier_models: list[str] | None) -> pl.DataFrame:
    """Verified, filtered entries of the ledger at ``path`` (empty ledger -> empty frame)."""
    if path.stat().st_size == 0:
        return empty_entries()
    frame = apply_filters(scan_entries(path), filters, tier_models).collect()
    return frame.cast(ENTRY_SCHEMA)  # type: ignore[arg-type]
