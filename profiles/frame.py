"""The ledger as a polars frame: verified first, then read lazily, only the fields we need.

A ledger line also carries per-item answers (``metadata.items``), which can be large; even with
a schema that leaves them out, polars' JSON parser has to walk them. So the roll-up reads the
ledger's summary index (`mapelite.ledger.summary`, a small CSV row per entry) when it is in step
with the ledger, rebuilds it when it is not, and reads the ledger itself only when the summary
cannot be written. Either way the frame is the same.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl

from mapelite.errors import InvalidInputError, LedgerError
from mapelite.ledger.chain import Ledger
from mapelite.ledger.summary import (
    SUMMARY_COLUMN_KINDS,
    SUMMARY_COLUMNS,
    SUMMARY_HEADER,
    SummaryTail,
    rebuild_summary,
    summary_in_step,
    summary_path,
)
from profiles.item_columns import (
    SETUP_COLUMNS,
    item_statistics,
    latest_scoring,
    setup_column_exprs,
    setup_statistics,
)

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
        "reasoning": pl.String,
        "cost_expected_usd": pl.Float64,
        "rescore_of": pl.String,
    }
)
LEDGER_SCAN_SCHEMA: dict[str, pl.DataType] = {
    "harness_id": pl.Int64(),
    "model": pl.String(),
    "scores": pl.Struct({"normalized": pl.Float64}),
    "timestamp": pl.String(),
    "metadata": _METADATA_SCHEMA,
}
# What a summary rebuild reads from the ledger, and the summary's own column types.
_ITEMS_SCHEMA = pl.List(
    pl.Struct(
        {
            "item_id": pl.String,
            "bank": pl.String,
            "family": pl.String,
            "score": pl.Float64,
            "error": pl.String,
            "tokens_out": pl.Int64,
            "cached": pl.Boolean,
            "finish_reason": pl.String,
            "served_by": pl.String,
            "scorer_version": pl.String,
        }
    )
)
_DIRECT_SCAN_SCHEMA: dict[str, pl.DataType] = {
    **LEDGER_SCAN_SCHEMA,
    "hash": pl.String(),
    "metadata": pl.Struct({**_METADATA_SCHEMA.to_schema(), "items": _ITEMS_SCHEMA}),
}
_REBUILD_SCAN_SCHEMA: dict[str, pl.DataType] = {
    **LEDGER_SCAN_SCHEMA,
    "hash": pl.String(),
    "metadata": pl.Struct(
        {
            **_METADATA_SCHEMA.to_schema(),
            "unit_key": pl.String,
            "agent": pl.Int64,
            "items": _ITEMS_SCHEMA,
        }
    ),
}
_POLARS_TYPE_OF_KIND: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "uint32": pl.UInt32(),
}
SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    name: _POLARS_TYPE_OF_KIND[kind] for name, kind in SUMMARY_COLUMN_KINDS.items()
}


def _columns(first: str, last: str) -> list[str]:
    return list(SUMMARY_COLUMNS[SUMMARY_COLUMNS.index(first) : SUMMARY_COLUMNS.index(last) + 1])


ITEM_COLUMNS = _columns("items_scored", "item_sample")
# The columns the roll-up derives its frame from, read from either source.
_RAW_COLUMNS = [
    "seq", "harness_id", "model", "normalized", "ts", "run_id", "repeat", "pattern",
    "stage", "role", "cost_usd", "failed", "simulated", "tier", *ITEM_COLUMNS,
    *SETUP_COLUMNS, "hash",
]  # fmt: skip

# Column names and types of the frame every roll-up works on (also the empty frame's schema).
# ``model`` and ``run_id`` are categorical: the roll-ups group by them over and over, and
# grouping by small integer codes instead of strings saves about a fifth of a 1M-entry roll-up.
ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "seq": pl.UInt32(),
    "harness_id": pl.Int64(),
    "model": pl.Categorical(),
    "score": pl.Float64(),
    "ts": pl.Datetime("us", "UTC"),
    "run_id": pl.Categorical(),
    "repeat": pl.Int64(),
    "pattern": pl.String(),
    "stage": pl.Int64(),
    "role": pl.String(),
    "cost_usd": pl.Float64(),
    "failed": pl.Boolean(),
    "simulated": pl.Boolean(),
    "tier": pl.String(),
    # Scored items (0 = no score: the entry is errors only), their sum, the clustered variance
    # of their mean (null below two clusters), clusters, all 0/1, item errors, item sample.
    "n": pl.Int64(),
    "score_sum": pl.Float64(),
    "var": pl.Float64(),
    "clusters": pl.Int64(),
    "binary": pl.Boolean(),
    "errors": pl.Int64(),
    "sample": pl.Int64(),
    # ``model`` above is the setup (``model@setting``); ``base_model`` the model id alone.
    "base_model": pl.String(),
    "truncated": pl.Int64(),
    "cost_expected_usd": pl.Float64(),
    "tokens_p50": pl.Int64(),
    "tokens_p90": pl.Int64(),
    "served_by": pl.String(),
    "scorer_version": pl.String(),
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
    include_cached: bool = False
    """Entries answered (partly) from the response cache repeat an earlier measurement (and
    their latency is the cache's): left out unless asked for."""

    def as_dict(self) -> dict[str, str | None]:
        return {
            "tier": self.tier,
            "provider": self.provider,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "run_id": self.run_id,
            "cached": "include" if self.include_cached else "exclude",
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


def parse_filters(
    tier: str | None,
    provider: str | None,
    since: str | None,
    until: str | None,
    run_id: str | None,
    cached: str = "exclude",
) -> EntryFilters:
    """Filters as the user types them (dates as text; a bad date names its option)."""
    if cached not in ("include", "exclude"):
        raise InvalidInputError(f"--cached must be include or exclude, got {cached!r}")
    return EntryFilters(
        tier=tier,
        provider=provider,
        since=parse_when(since, option="--since"),
        until=parse_when(until, option="--until"),
        run_id=run_id,
        include_cached=cached == "include",
    )


_CACHED_MARK = b'"cached":true'


def cached_entry_seqs(path: Path) -> list[int]:
    """Row numbers of the entries with any item answered from the response cache. A ledger
    without one (the usual case) is told apart by one byte search, without parsing items."""
    import mmap

    with path.open("rb") as file:
        if path.stat().st_size == 0:
            return []
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data.find(_CACHED_MARK) < 0:
                return []
    items = pl.List(pl.Struct({"cached": pl.Boolean}))
    any_cached = (
        pl.col("metadata")
        .struct.field("items")
        .list.eval(pl.element().struct.field("cached").fill_null(False))
        .list.any()
    )
    frame = (
        pl.scan_ndjson(path, schema={"metadata": pl.Struct({"items": items})})
        .with_row_index("seq")
        .filter(any_cached.fill_null(False))
        .select("seq")
        .collect()
    )
    return [int(seq) for seq in frame["seq"]]


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
    """The ledger's entries, one row each, lazily, read from the ledger itself."""
    return _derive(_ledger_columns(path))


def _ledger_columns(path: Path) -> pl.LazyFrame:
    meta = pl.col("metadata").struct
    scan = pl.scan_ndjson(path, schema=_DIRECT_SCAN_SCHEMA).with_row_index("seq")
    return (
        scan.join(item_statistics(scan), on="seq", how="left")
        .join(setup_statistics(scan), on="seq", how="left")
        .select(
            pl.col("seq"),
            pl.col("harness_id"),
            pl.col("model"),
            pl.col("scores").struct.field("normalized"),
            _parsed_timestamp(),
            meta.field("run_id"),
            meta.field("repeat"),
            meta.field("pattern"),
            meta.field("stage"),
            meta.field("role"),
            meta.field("cost_usd"),
            meta.field("error").is_not_null().alias("failed"),
            meta.field("simulated"),
            meta.field("tier"),
            *ITEM_COLUMNS,
            *setup_column_exprs(),
            pl.col("hash"),
        )
        .sort("seq")
    )


def _parsed_timestamp() -> pl.Expr:
    return pl.col("timestamp").str.to_datetime(time_unit="us", time_zone="UTC").alias("ts")


def _derive(raw: pl.LazyFrame) -> pl.LazyFrame:
    """The roll-up's columns from the raw ones. Errors are not scores: an entry's score is the
    mean of its scored items, null when it has none (a failed run, all items errors). An entry
    without item records and no error (written before items were recorded) is one score, its
    ``normalized``."""
    scored = pl.col("items_scored").fill_null(0)
    legacy = (scored == 0) & (pl.col("items_error").fill_null(0) == 0) & ~pl.col("failed")
    n = pl.when(legacy).then(1).otherwise(scored)
    score_sum = pl.when(legacy).then(pl.col("normalized")).otherwise(pl.col("item_sum"))
    setup = (
        pl.when(pl.col("reasoning").is_not_null())
        .then(pl.concat_str(pl.col("model"), pl.lit("@"), pl.col("reasoning")))
        .otherwise(pl.col("model"))
    )
    return latest_scoring(raw).select(
        pl.col("seq"),
        pl.col("harness_id"),
        setup.alias("model"),
        pl.when(n > 0).then(score_sum / n).alias("score"),
        pl.col("ts"),
        pl.col("run_id"),
        pl.col("repeat").fill_null(0),
        pl.col("pattern"),
        pl.col("stage"),
        pl.col("role").fill_null("single"),
        pl.col("cost_usd").fill_null(0.0),
        pl.col("failed"),
        (pl.col("simulated").fill_null(False) | pl.col("model").str.starts_with("mockllm/")).alias(
            "simulated"
        ),
        pl.col("tier"),
        n.alias("n"),
        pl.when(n > 0).then(score_sum).otherwise(0.0).alias("score_sum"),
        pl.col("item_var").alias("var"),
        pl.when(legacy).then(1).otherwise(pl.col("item_clusters").fill_null(0)).alias("clusters"),
        pl.when(legacy)
        .then(pl.col("normalized").is_in([0.0, 1.0]))
        .otherwise(pl.col("item_binary").fill_null(True))
        .alias("binary"),
        pl.col("items_error").fill_null(0).alias("errors"),
        pl.col("item_sample").alias("sample"),
        pl.col("model").str.replace(r"@[^@/]*$", "").alias("base_model"),
        pl.col("items_truncated").fill_null(0).alias("truncated"),
        pl.col("cost_expected_usd"),
        pl.col("tokens_out_p50").alias("tokens_p50"),
        pl.col("tokens_out_p90").alias("tokens_p90"),
        pl.col("served_by"),
        pl.col("scorer_version"),
    )


SUMMARY_BLOCK_BYTES = 32 << 20
"""A summary is rebuilt from blocks of whole ledger lines of about this size, one at a time:
memory stays that of one block (a 1M-entry ledger is 1.5 GB), and the row statistics (a join
and a sort) never span the whole ledger."""


def write_summary(ledger_path: Path, target: Path) -> None:
    """Write the summary of the ledger at ``ledger_path`` to ``target``, block by block: the
    next block is parsed while the one before it is rolled up (polars releases the GIL, so the
    two use both cores), and at most two blocks are in memory."""
    seq = 0
    with target.open("wb") as out, ThreadPoolExecutor(max_workers=2) as pool:
        pending: deque[Future[pl.DataFrame]] = deque()
        for block in _line_blocks(ledger_path, SUMMARY_BLOCK_BYTES):
            pending.append(pool.submit(_block_rows, block))
            if len(pending) == 2:
                seq = _write_rows(out, pending.popleft().result(), seq)
        while pending:
            seq = _write_rows(out, pending.popleft().result(), seq)
        if seq == 0:
            out.write(SUMMARY_HEADER)


def _block_rows(block: bytes) -> pl.DataFrame:
    """The summary rows of one block of whole ledger lines, numbered from 0."""
    entries = pl.read_ndjson(block, schema=_REBUILD_SCAN_SCHEMA)
    return _summary_rows(entries.lazy().with_row_index("seq")).collect()


def _write_rows(out: BinaryIO, rows: pl.DataFrame, seq: int) -> int:
    """Append a block's rows, numbered on from ``seq``; the next block's first number."""
    rows.with_columns(pl.col("seq") + seq).write_csv(out, include_header=seq == 0)
    return seq + rows.height


def _line_blocks(path: Path, size: int) -> Iterator[bytes]:
    """The file in blocks of about ``size`` bytes that end at a line end (the last one as the
    file ends: a torn last line is the reader's to refuse)."""
    rest = b""
    with path.open("rb") as handle:
        while data := handle.read(size):
            data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                yield data[:cut]
    if rest.strip():
        yield rest


def _summary_rows(scan: pl.LazyFrame) -> pl.LazyFrame:
    meta = pl.col("metadata").struct
    return (
        scan.join(item_statistics(scan), on="seq", how="left")
        .join(setup_statistics(scan), on="seq", how="left")
        .sort("seq")
        .select(
            pl.col("model"),
            pl.col("harness_id"),
            pl.col("scores").struct.field("normalized"),
            _parsed_timestamp().dt.epoch("us").alias("timestamp_us"),
            *(meta.field(name) for name in SUMMARY_COLUMNS[4:13]),
            meta.field("error").is_not_null().alias("failed"),
            meta.field("simulated"),
            pl.col("items_scored").fill_null(0),
            pl.col("items_error").fill_null(0),
            pl.col("item_sum").fill_null(0.0),
            "item_var",
            pl.col("item_clusters").fill_null(0),
            pl.col("item_binary").fill_null(True),
            "item_sample",
            *setup_column_exprs(),
            pl.col("seq"),
            pl.col("hash"),
        )
    )


def ensure_summary(ledger_path: Path) -> SummaryTail | None:
    """The summary's tail once it is in step with the ledger (rebuilt if needed), or None when
    it cannot be (unwritable directory, unreadable ledger tail)."""
    tail = summary_in_step(ledger_path)
    if tail is not None:
        return tail
    try:
        return rebuild_summary(ledger_path, write_summary)
    except pl.exceptions.PolarsError:  # an unparsable ledger: reading it directly says why
        return None


def _summary_columns(ledger_path: Path, entries: int | None) -> pl.LazyFrame | None:
    """The raw columns of the first ``entries`` (default: all) entries, from the summary.

    A summary whose tail matches but whose rows are not 0, 1, 2, ... in order is deleted and
    rebuilt once. None when it cannot be brought in step; the caller then reads the ledger.
    """
    for _ in range(2):
        tail = ensure_summary(ledger_path)
        if tail is None:
            return None
        frame = _read_summary(ledger_path, tail.entries if entries is None else entries, tail)
        if frame is not None:
            return frame.lazy()
        try:
            summary_path(ledger_path).unlink()
        except OSError:
            return None
    return None


def _read_summary(ledger_path: Path, rows: int, tail: SummaryTail) -> pl.DataFrame | None:
    if rows > tail.entries:
        return None
    try:
        # n_rows: rows appended after the check (or half-written right now) are not read.
        frame = (
            pl.scan_csv(summary_path(ledger_path), schema=SUMMARY_SCHEMA, n_rows=rows)
            .with_columns(_epoch_to_utc("timestamp_us").alias("ts"))
            .select(_RAW_COLUMNS)
            .collect()
        )
    except (pl.exceptions.PolarsError, OSError):
        return None
    seq = frame["seq"]
    if frame.height != rows or (rows and (seq[0] != 0 or not (seq.diff().drop_nulls() == 1).all())):
        return None
    return frame


def _epoch_to_utc(column: str) -> pl.Expr:
    return pl.from_epoch(column, "us").dt.replace_time_zone("UTC")


def apply_filters(
    entries: pl.LazyFrame, filters: EntryFilters, tier_models: list[str] | None
) -> pl.LazyFrame:
    """Restrict to the tier's models, a provider, a time window and/or one run."""
    if filters.tier is not None and tier_models is not None:
        # A tier lists setups or plain model ids (a plain id covers every setup of the model).
        entries = entries.filter(
            pl.col("model").is_in(tier_models) | pl.col("base_model").is_in(tier_models)
        )
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


def load_entries(
    path: Path,
    filters: EntryFilters,
    tier_models: list[str] | None,
    *,
    entries: int | None = None,
    use_summary: bool = True,
) -> pl.DataFrame:
    """Filtered entries of the ledger at ``path`` (empty ledger -> empty frame).

    ``entries``: how many the caller verified (the first ones are used); ``use_summary=False``
    reads the ledger itself, as it does anyway when the summary cannot be used.
    """
    if path.stat().st_size == 0:
        return empty_entries()
    raw = _summary_columns(path, entries) if use_summary else None
    source = _derive(raw if raw is not None else _ledger_columns(path))
    entries_frame = apply_filters(source, filters, tier_models)
    if not filters.include_cached and (cached := cached_entry_seqs(path)):
        entries_frame = entries_frame.filter(~pl.col("seq").is_in(cached))
    frame = entries_frame.collect()
    return frame.cast(ENTRY_SCHEMA)  # type: ignore[arg-type]
