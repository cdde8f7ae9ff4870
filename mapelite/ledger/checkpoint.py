"""The pre-run ledger check: nothing is appended to a ledger that does not verify, at a cost
proportional to what was appended since the last verified point.

A small checkpoint file beside the ledger (``ledger.jsonl.checkpoint``, JSON) records the last
verified point: byte ``offset`` (the end of a whole line), ``entries`` before it, and the
``hash`` of the entry that ends there. The check (`verify_since_checkpoint`):

1. takes a shared lock on the ledger (appends take it exclusively), so the file is stable;
2. trusts the prefix when the file is at least ``offset`` bytes long and the line ending at
   ``offset`` is intact and has the recorded hash; otherwise it verifies from the start;
3. verifies every line after that point, chained to the recorded hash;
4. when everything verified, records the new end as the checkpoint.

Trust model. The run-time check catches any damage after the checkpoint, a truncation, and
any edit of the checkpoint's own line. It does NOT catch an edit of a line *before* the
checkpoint that leaves that line intact (for that it would have to read the whole prefix,
which is the cost it exists to avoid): `map-elite verify` (`Ledger.verify`) reads every byte
and finds such an edit at its index. Deleting or corrupting the checkpoint file only costs one
full verification. The checkpoint is an optimisation, never a source of truth: a checkpoint
that cannot be written (read-only directory) is skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mapelite.errors import LedgerCorruptError
from mapelite.ledger.chain import Ledger, VerifyReport
from mapelite.ledger.format import GENESIS_HASH, check_line, stored_hash, stored_prev_hash

CHECKPOINT_SUFFIX = ".checkpoint"
_BACK_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Checkpoint:
    offset: int
    entries: int
    hash: str


def checkpoint_path(ledger_path: Path) -> Path:
    return ledger_path.with_name(ledger_path.name + CHECKPOINT_SUFFIX)


def read_checkpoint(ledger_path: Path) -> Checkpoint | None:
    """The recorded checkpoint, or None when there is none or it does not parse."""
    try:
        data = json.loads(checkpoint_path(ledger_path).read_bytes())
        checkpoint = Checkpoint(int(data["offset"]), int(data["entries"]), str(data["hash"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if checkpoint.offset < 0 or checkpoint.entries < 0 or len(checkpoint.hash) != 64:
        return None
    return checkpoint


def write_checkpoint(ledger_path: Path, checkpoint: Checkpoint) -> None:
    """Record ``checkpoint`` atomically (write a temporary file, then rename it)."""
    target = checkpoint_path(ledger_path)
    payload = json.dumps(checkpoint.__dict__, separators=(",", ":")).encode()
    with contextlib.suppress(OSError):
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(temporary, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _line_ending_at(handle: BinaryIO, offset: int) -> bytes | None:
    """The whole line whose newline is the byte before ``offset``, or None."""
    chunk = min(offset, _BACK_CHUNK)
    while True:
        handle.seek(offset - chunk)
        data = handle.read(chunk)
        if not data.endswith(b"\n"):
            return None
        start = data.rfind(b"\n", 0, len(data) - 1)
        if start >= 0:
            return data[start + 1 :]
        if chunk == offset:
            return data
        chunk = min(offset, chunk * 4)


def _prefix_unchanged(handle: BinaryIO, size: int, checkpoint: Checkpoint) -> bool:
    if checkpoint.offset > size:
        return False  # truncated (or replaced) since the checkpoint
    if checkpoint.offset == 0:
        return checkpoint.entries == 0 and checkpoint.hash == GENESIS_HASH
    line = _line_ending_at(handle, checkpoint.offset)
    if line is None or stored_hash(line) != checkpoint.hash.encode():
        return False
    return check_line(line, stored_prev_hash(line)) is None  # the line itself is intact


def _verify_from(
    handle: BinaryIO, offset: int, entries: int, last_hash: str
) -> tuple[VerifyReport, str]:
    """Verify the lines from ``offset`` on, chained to ``last_hash``; (report, last hash)."""
    handle.seek(offset)
    expected = last_hash.encode()
    index = entries
    for line in handle:
        if line[-1:] != b"\n":
            reason = "torn last line (no trailing newline): a write was interrupted"
            return VerifyReport(False, index, index, reason), expected.decode()
        problem = check_line(line, expected)
        if problem is not None:
            return VerifyReport(False, index, index, problem), expected.decode()
        expected = stored_hash(line)
        index += 1
    return VerifyReport(True, index), expected.decode()


def verify_since_checkpoint(ledger: Ledger) -> VerifyReport:
    """Verify what was appended since the last verified point (everything when there is no
    usable checkpoint); record the new checkpoint when it all verified."""
    path = ledger.path
    if not path.exists():
        return VerifyReport(valid=True, entries=0)
    with path.open("rb", buffering=1 << 20) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        size = os.fstat(handle.fileno()).st_size
        checkpoint = read_checkpoint(path)
        start = Checkpoint(0, 0, GENESIS_HASH)
        if checkpoint is not None and _prefix_unchanged(handle, size, checkpoint):
            start = checkpoint
        report, last_hash = _verify_from(handle, start.offset, start.entries, start.hash)
        if report.valid and (start.offset, start.entries) != (size, report.entries):
            write_checkpoint(path, Checkpoint(size, report.entries, last_hash))
    return report


def require_verified(ledger: Ledger) -> int:
    """Raise `LedgerCorruptError` naming the first bad line unless the ledger verifies (since
    its checkpoint); returns the number of entries."""
    report = verify_since_checkpoint(ledger)
    if not report.valid:
        index = report.first_corrupt if report.first_corrupt is not None else report.entries
        raise LedgerCorruptError(
            f"ledger {ledger.path} does not verify at line {index} ({report.reason}); nothing "
            "was written - run `map-elite verify` and repair it by hand",
            index=index,
        )
    return report.entries


def check_before_run(ledger: Ledger) -> int:
    """The ledger part of the pre-run check: appendable (path, permissions, whole last line)
    and verified since its checkpoint. Returns the number of entries."""
    ledger.check_appendable()
    return require_verified(ledger)
