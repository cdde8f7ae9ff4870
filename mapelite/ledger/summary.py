"""A derived, rebuildable summary index beside the ledger: one small CSV row per ledger entry.

``ledger.jsonl`` -> ``ledger.summary.csv``. A roll-up only needs a dozen scalar fields of each
entry, but a ledger line also carries its per-item answers; any JSON parser has to walk those.
The summary holds just the scalars, so reading it costs a fraction of reading the ledger. CSV,
not JSONL: polars parses this file about 4× faster as CSV (no key names on every row), and it
is still one appendable line per entry (strings are quoted, so a comma or newline in a run id
is safe).

Timestamps are stored as UTC microseconds since the epoch (``timestamp_us``), already parsed.

The ledger stays the single source of truth; the summary is a cache:
- `Ledger.append_many` appends the rows under the ledger's lock, right after the ledger lines,
  but only when the summary is in step (its last row carries the hash of the ledger's last
  entry); otherwise it leaves it alone, stale, and a roll-up rebuilds it.
- A reader trusts the summary only when its last row's ``hash`` equals the ledger's last hash
  (both read from the file tails) and its ``seq`` column counts 0, 1, 2, ... up to that row.
  A torn, truncated, foreign or tampered tail is never trusted.
- `rebuild_summary` writes a fresh one to a temp file and renames it into place, holding a
  shared lock on the ledger so no append slips in between.
Known limit: an edit in the middle of the summary that keeps ``seq`` and the last hash intact
is not detected (checking that means reading the whole ledger, which is what the summary saves).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mapelite.errors import LedgerError
from mapelite.ledger.format import GENESIS_HASH, file_tail_hash, utf8, write_all

# ``seq`` and ``hash`` come last: they are never quoted and never contain a comma or a newline,
# so the tail check can read them off the last physical line whatever the strings before hold.
# The one declaration of the summary's columns: name -> kind of value (readers map the kinds to
# their own types, e.g. polars dtypes in `profiles.frame`).
SUMMARY_COLUMN_KINDS: dict[str, str] = {
    "model": "string",
    "harness_id": "int",
    "normalized": "float",
    "timestamp_us": "int",
    "run_id": "string",
    "unit_key": "string",
    "pattern": "string",
    "stage": "int",
    "agent": "int",
    "role": "string",
    "repeat": "int",
    "tier": "string",
    "cost_usd": "float",
    "failed": "bool",
    "simulated": "bool",
    # Item statistics (`item_statistics`): what intervals need, without the items themselves.
    "items_scored": "int",
    "items_error": "int",
    "item_sum": "float",
    "item_var": "float",
    "item_clusters": "int",
    "item_binary": "bool",
    "item_sample": "int",
    # What makes a score a setup's, and what its answers cost and spent (`setup_statistics`).
    "reasoning": "string",
    "cost_expected_usd": "float",
    "items_truncated": "int",
    "tokens_out_p50": "int",
    "tokens_out_p90": "int",
    "served_by": "string",
    "scorer_version": "string",
    "rescore_of": "string",
    "seq": "uint32",
    "hash": "string",
}
SUMMARY_COLUMNS: tuple[str, ...] = tuple(SUMMARY_COLUMN_KINDS)
SUMMARY_HEADER = (",".join(SUMMARY_COLUMNS) + "\n").encode()
_LAST_ROW = re.compile(rb",(\d+),([0-9a-f]{64})\n\Z")
_TAIL_BYTES = 64 * 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SummaryWriter = Callable[[Path, Path], None]
"""Writes the summary of the ledger at the first path to the second (header included)."""


@dataclass(frozen=True)
class SummaryTail:
    """What the summary's last row says: how many entries it covers and the last one's hash."""

    entries: int
    last_hash: str | None  # None: header only (an empty ledger)


def summary_path(ledger_path: Path) -> Path:
    """``ledger.jsonl`` -> ``ledger.summary.csv`` in the same directory."""
    name = ledger_path.name.removesuffix(".jsonl")
    return ledger_path.with_name(f"{name}.summary.csv")


def summary_row(fields: Mapping[str, Any], seq: int, entry_hash: str) -> bytes:
    """The summary row of one ledger entry given its stored fields (as `encode_entry` takes)."""
    meta: Mapping[str, Any] = fields.get("metadata") or {}
    scores: Mapping[str, Any] = fields.get("scores") or {}
    values = (
        fields.get("model"),
        fields.get("harness_id"),
        scores.get("normalized"),
        _epoch_us(fields.get("timestamp")),
        meta.get("run_id"),
        meta.get("unit_key"),
        meta.get("pattern"),
        meta.get("stage"),
        meta.get("agent"),
        meta.get("role"),
        meta.get("repeat"),
        meta.get("tier"),
        meta.get("cost_usd"),
        meta.get("error") is not None,
        meta.get("simulated"),
        *item_statistics(meta.get("items") or []),
        *setup_statistics(meta),
    )
    return utf8(",".join(_cell(v) for v in values) + f",{seq},{entry_hash}\n")


STAT_DIGITS = 12
"""Item sums and variances are stored rounded to this many decimals, so the rows an append
writes and the rows polars rebuilds (other summation order) are the same numbers."""


def item_statistics(
    items: Sequence[Mapping[str, Any]],
) -> tuple[int, int, float, float | None, int, bool, int | None]:
    """(scored, errors, sum of scores, clustered variance of the mean, clusters, all scores 0/1,
    item sample) of an entry's item outcomes (stored dicts). Errors are not scores. The cluster
    of an item is its family, else ``bank:item_id`` (`ItemOutcome.cluster`); the variance is
    G/(G-1) * sum_c (T_c - n_c * mean)^2 / n^2 (None below two clusters). The sample is a short
    hash of the sorted ``bank:item_id`` of every item, so runs on the same items group together.
    `profiles.frame` computes the same with polars when it rebuilds the summary."""
    totals: dict[str, list[float]] = {}
    errors = 0
    binary = True
    keys = []
    for item in items:
        key = f"{item.get('bank') or 'core'}:{item.get('item_id')}"
        keys.append(key)
        if item.get("error") is not None:
            errors += 1
            continue
        score = float(item.get("score") or 0.0)
        binary = binary and score in (0.0, 1.0)
        total = totals.setdefault(item.get("family") or key, [0.0, 0.0])
        total[0] += score
        total[1] += 1
    n = int(sum(count for _, count in totals.values()))
    score_sum = sum(total for total, _ in totals.values())
    variance: float | None = None
    if len(totals) >= 2:
        mean = score_sum / n
        squares = sum((total - count * mean) ** 2 for total, count in totals.values())
        variance = round(len(totals) / (len(totals) - 1) * squares / (n * n), STAT_DIGITS)
    score_sum = round(score_sum, STAT_DIGITS)
    return n, errors, score_sum, variance, len(totals), binary, item_sample(keys)


TOKEN_QUANTILES = (0.5, 0.9)
"""Per entry, these quantiles of its answered items' completion tokens: the item at index
``ceil(q * (n - 1))`` of them sorted (polars' ``quantile(q, "higher")``)."""


def setup_statistics(
    meta: Mapping[str, Any],
) -> tuple[
    str | None, float | None, int, int | None, int | None, str | None, str | None, str | None
]:
    """(reasoning setting, estimated cost, items cut off at their token budget, p50 and p90 of
    the completion tokens of answered items, who served them, which scorer versions scored
    them, the entry a rescoring replaces) of an entry's stored metadata. Answered: no error and
    not from the response cache. Several providers or scorer versions are joined with ``+``,
    sorted. `profiles.item_columns` computes the same with polars."""
    items: Sequence[Mapping[str, Any]] = meta.get("items") or []
    truncated = sum(1 for item in items if item.get("finish_reason") == "length")
    answered = [i for i in items if i.get("error") is None and not i.get("cached")]
    tokens = sorted(int(i.get("tokens_out") or 0) for i in answered)
    p50, p90 = (
        (tokens[math.ceil(q * (len(tokens) - 1))] for q in TOKEN_QUANTILES)
        if tokens
        else (None, None)
    )
    return (
        meta.get("reasoning"),
        meta.get("cost_expected_usd"),
        truncated,
        p50,
        p90,
        _joined(i.get("served_by") for i in answered),
        _joined(i.get("scorer_version") for i in items),
        meta.get("rescore_of"),
    )


def _joined(values: Iterable[Any]) -> str | None:
    distinct = sorted({str(v) for v in values if v is not None})
    return "+".join(distinct) if distinct else None


def item_sample(keys: Sequence[str]) -> int | None:
    """Identity of a set of items (``bank:item_id``): the first 15 hex digits of sha256 over
    them sorted, as an integer (an integer column parses faster than a string one)."""
    if not keys:
        return None
    return int(hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:15], 16)


def _epoch_us(timestamp: Any) -> int | None:
    # Stored parsed: parsing 1M ISO strings is a large share of a roll-up's reading time.
    if not isinstance(timestamp, str):
        return None
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _cell(value: Any) -> str:
    # Null is an empty unquoted cell; every string is quoted, so "" stays an empty string.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return '"' + text.replace('"', '""') + '"'


def read_summary_tail(path: Path) -> SummaryTail | None:
    """The summary's tail, or None when it is missing, torn, foreign or unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        if os.pread(fd, len(SUMMARY_HEADER), 0) != SUMMARY_HEADER:
            return None
        if size == len(SUMMARY_HEADER):
            return SummaryTail(entries=0, last_hash=None)
        start = max(len(SUMMARY_HEADER), size - _TAIL_BYTES)
        tail = os.pread(fd, size - start, start)
    except OSError:
        return None
    finally:
        os.close(fd)
    found = _LAST_ROW.search(tail)
    if found is None:
        return None
    return SummaryTail(entries=int(found.group(1)) + 1, last_hash=found.group(2).decode())


def summary_in_step(ledger_path: Path) -> SummaryTail | None:
    """The summary's tail when its last row is the ledger's last entry, else None."""
    tail = read_summary_tail(summary_path(ledger_path))
    if tail is None:
        return None
    try:
        ledger_last_hash = _ledger_last_hash(ledger_path)
    except (OSError, LedgerError):
        return None
    return tail if tail.last_hash == ledger_last_hash else None


def _ledger_last_hash(ledger_path: Path) -> str | None:
    last = file_tail_hash(ledger_path)
    return None if last == GENESIS_HASH else last


def append_summary(
    ledger_path: Path,
    prev_hash: str | None,
    entries: Sequence[tuple[Mapping[str, Any], str]],
) -> bool:
    """Append rows for ``entries`` (stored fields, hash) just written after ``prev_hash``.

    Call it holding the ledger's exclusive lock. ``prev_hash`` None means the ledger was empty
    before: the summary starts afresh. Writes nothing when the summary is missing or out of step
    (a roll-up rebuilds it) and never raises for I/O: the ledger entries are already durable.
    """
    path = summary_path(ledger_path)
    try:
        if prev_hash is None:
            first_seq, flags = 0, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        else:
            tail = read_summary_tail(path)
            if tail is None or tail.last_hash != prev_hash:
                return False
            first_seq, flags = tail.entries, os.O_WRONLY | os.O_APPEND
        rows = [summary_row(fields, first_seq + i, h) for i, (fields, h) in enumerate(entries)]
        data = (SUMMARY_HEADER if prev_hash is None else b"") + b"".join(rows)
        fd = os.open(path, flags, 0o644)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
    except OSError:
        return False
    return True


def rebuild_summary(ledger_path: Path, write: SummaryWriter) -> SummaryTail | None:
    """Rebuild the summary with ``write`` (atomically: temp file + rename), unless another
    process just did; its tail, or None when the directory is not writable or the ledger's tail
    is unreadable. Appends wait meanwhile (shared lock on the ledger)."""
    path = summary_path(ledger_path)
    try:
        fd = os.open(ledger_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        current = summary_in_step(ledger_path)
        if current is not None:
            return current
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
        temp = Path(temp_name)
        try:
            if os.fstat(fd).st_size == 0:
                temp.write_bytes(SUMMARY_HEADER)
            else:
                write(ledger_path, temp)
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        return summary_in_step(ledger_path)
    except OSError:
        return None
    finally:
        os.close(fd)  # releases the lock
