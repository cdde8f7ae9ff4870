"""The checkpoint record beside a ledger (``ledger.jsonl.checkpoint``, JSON) and how an append
keeps it current. The check that reads it is `mapelite.ledger.checkpoint`.

A checkpoint holds two points of the ledger:

- the *verified point*: byte ``offset`` (the end of a whole line), the ``entries`` before it,
  the ``hash`` of the entry ending there, and the file's ``stamp`` (device, inode, size, mtime
  and ctime) when the point was recorded. While the file's stamp is unchanged, nothing but the
  appends that recorded it has touched the file: no byte needs reading. An append through
  `Ledger.append_many` that finds the stamp unchanged moves the point to its own end
  (`extend_after_append`): appends by the ledger keep the next check free;
- the *proof of the prefix*: the sha256 of bytes ``[0, proof_offset)``, with the entries and the
  last hash there, taken the last time the check read the whole file. When the stamp changed
  (anything else wrote the file, or touched it), the check re-hashes that prefix in large blocks
  (hashlib, far cheaper than verifying each line) and verifies line by line only what follows
  it; a prefix that does not hash the same is verified in full, which names the damaged line.

A ctime cannot be set back by a user tool, so an edit is seen even when the editor restores
the mtime. The record is an optimisation, never a source of truth: a missing, unreadable or
unwritable record costs one full verification.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

CHECKPOINT_SUFFIX = ".checkpoint"


@dataclass(frozen=True)
class FileStamp:
    """What changes whenever a file's bytes change (ctime also on any metadata change)."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileStamp:
        return cls(stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


@dataclass(frozen=True)
class Checkpoint:
    offset: int
    entries: int
    hash: str
    stamp: FileStamp | None = None
    """The file when the verified point was recorded (None: unknown, e.g. an older record)."""
    proof_offset: int = 0
    proof_entries: int = 0
    proof_hash: str | None = None
    proof_sha256: str | None = None
    """sha256 of the bytes before ``proof_offset`` (None: no proof, verify from the start)."""


def checkpoint_path(ledger_path: Path) -> Path:
    return ledger_path.with_name(ledger_path.name + CHECKPOINT_SUFFIX)


def read_checkpoint(ledger_path: Path) -> Checkpoint | None:
    """The recorded checkpoint, or None when there is none or it does not parse."""
    try:
        data = json.loads(checkpoint_path(ledger_path).read_bytes())
        stamp = FileStamp(**data["stamp"]) if data.get("stamp") else None
        checkpoint = Checkpoint(
            offset=int(data["offset"]),
            entries=int(data["entries"]),
            hash=str(data["hash"]),
            stamp=stamp,
            proof_offset=int(data.get("proof_offset", 0)),
            proof_entries=int(data.get("proof_entries", 0)),
            proof_hash=data.get("proof_hash"),
            proof_sha256=data.get("proof_sha256"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if checkpoint.offset < 0 or checkpoint.entries < 0 or len(checkpoint.hash) != 64:
        return None
    if checkpoint.proof_offset < 0 or checkpoint.proof_offset > checkpoint.offset:
        return None
    return checkpoint


def write_checkpoint(ledger_path: Path, checkpoint: Checkpoint) -> None:
    """Record ``checkpoint`` atomically (write a temporary file, then rename it); a record that
    cannot be written is skipped."""
    target = checkpoint_path(ledger_path)
    payload = json.dumps(asdict(checkpoint), separators=(",", ":")).encode()
    with contextlib.suppress(OSError):
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(temporary, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def extend_after_append(
    ledger_path: Path, before: os.stat_result, after: os.stat_result, added: int, last_hash: str
) -> None:
    """After `Ledger.append_many` wrote ``added`` entries (under its exclusive lock): when the
    file was exactly as the checkpoint recorded it before the write, the verified point moves to
    the new end. Otherwise the record stays as it is, and the next check reads what changed."""
    checkpoint = read_checkpoint(ledger_path)
    if checkpoint is None or checkpoint.stamp != FileStamp.of(before):
        return
    if checkpoint.offset != before.st_size:
        return
    moved = Checkpoint(
        offset=after.st_size,
        entries=checkpoint.entries + added,
        hash=last_hash,
        stamp=FileStamp.of(after),
        proof_offset=checkpoint.proof_offset,
        proof_entries=checkpoint.proof_entries,
        proof_hash=checkpoint.proof_hash,
        proof_sha256=checkpoint.proof_sha256,
    )
    write_checkpoint(ledger_path, moved)
