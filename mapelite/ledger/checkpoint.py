"""The pre-run check: nothing is appended to a ledger that does not verify, from its first byte
to its last, at a cost far below a full verification.

The check (`verify_since_checkpoint`), with the record it reads (`mapelite.ledger.proof`):

1. takes a shared lock on the ledger (appends take it exclusively), so the file is stable;
2. when the file's stamp (device, inode, size, mtime, ctime) is the one the checkpoint recorded
   and the line ending at its offset is intact, the ledger is as the last check (or the
   ledger's own appends since) left it: valid, nothing else is read;
3. otherwise something else wrote or touched the file: the prefix the checkpoint proves is
   re-hashed in large blocks and must give the recorded sha256, and only the lines after it are
   verified one by one, chained to the recorded hash. A prefix that hashes differently (an edit,
   a truncation, a replaced file) means a full verification, which names the first bad line;
4. when everything verified, the checkpoint records the new end, its stamp and the proof of the
   whole file.

So damage anywhere (before or after the checkpoint) stops a run before it pays. What an edit
costs to hide: restoring the ctime, which needs the system clock changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from typing import TYPE_CHECKING, BinaryIO

from mapelite.errors import LedgerCorruptError
from mapelite.ledger.chain import Ledger, VerifyReport
from mapelite.ledger.format import GENESIS_HASH, check_line, stored_hash, stored_prev_hash
from mapelite.ledger.proof import (
    CHECKPOINT_SUFFIX,
    Checkpoint,
    FileStamp,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = [
    "CHECKPOINT_SUFFIX",
    "Checkpoint",
    "check_before_run",
    "checkpoint_path",
    "read_checkpoint",
    "require_verified",
    "verify_since_checkpoint",
    "write_checkpoint",
]

_BACK_CHUNK = 64 * 1024
_HASH_BLOCK = 4 << 20


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


def _unchanged(handle: BinaryIO, stat: os.stat_result, checkpoint: Checkpoint) -> bool:
    """The file is as the checkpoint recorded it, and the line it points at is intact."""
    if checkpoint.stamp != FileStamp.of(stat) or checkpoint.offset != stat.st_size:
        return False
    if checkpoint.offset == 0:
        return checkpoint.entries == 0 and checkpoint.hash == GENESIS_HASH
    line = _line_ending_at(handle, checkpoint.offset)
    if line is None or stored_hash(line) != checkpoint.hash.encode():
        return False
    return check_line(line, stored_prev_hash(line)) is None


def _proven_start(
    handle: BinaryIO, size: int, checkpoint: Checkpoint | None
) -> tuple[int, int, str, _Hash]:
    """Where line-by-line verification must start: after the checkpoint's proven prefix when
    its bytes still hash the same, else at the first byte. Returns (offset, entries, hash of
    the entry before, the sha256 of the bytes before offset, to continue)."""
    if (
        checkpoint is not None
        and checkpoint.proof_sha256 is not None
        and checkpoint.proof_hash is not None
        and 0 < checkpoint.proof_offset <= size
    ):
        digest = hashlib.sha256()
        handle.seek(0)
        left = checkpoint.proof_offset
        while left > 0:
            block = handle.read(min(_HASH_BLOCK, left))
            if not block:
                break
            digest.update(block)
            left -= len(block)
        if left == 0 and digest.hexdigest() == checkpoint.proof_sha256:
            return checkpoint.proof_offset, checkpoint.proof_entries, checkpoint.proof_hash, digest
    return 0, 0, GENESIS_HASH, hashlib.sha256()


def _verify_from(
    handle: BinaryIO, offset: int, entries: int, last_hash: str, digest: _Hash
) -> tuple[VerifyReport, str]:
    """Verify the lines from ``offset`` on, chained to ``last_hash``, adding them to ``digest``;
    (report, last hash)."""
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
        digest.update(line)
        expected = stored_hash(line)
        index += 1
    return VerifyReport(True, index), expected.decode()


def verify_since_checkpoint(ledger: Ledger) -> VerifyReport:
    """Verify the whole ledger as cheaply as its checkpoint allows (the module's steps); record
    the new checkpoint when it all verified."""
    path = ledger.path
    if not path.exists():
        return VerifyReport(valid=True, entries=0)
    with path.open("rb", buffering=1 << 20) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        stat = os.fstat(handle.fileno())
        checkpoint = read_checkpoint(path)
        if checkpoint is not None and _unchanged(handle, stat, checkpoint):
            return VerifyReport(valid=True, entries=checkpoint.entries)
        offset, entries, last, digest = _proven_start(handle, stat.st_size, checkpoint)
        report, last_hash = _verify_from(handle, offset, entries, last, digest)
        if report.valid:
            recorded = Checkpoint(
                offset=stat.st_size,
                entries=report.entries,
                hash=last_hash,
                stamp=FileStamp.of(stat),
                proof_offset=stat.st_size,
                proof_entries=report.entries,
                proof_hash=last_hash,
                proof_sha256=digest.hexdigest(),
            )
            write_checkpoint(path, recorded)
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
