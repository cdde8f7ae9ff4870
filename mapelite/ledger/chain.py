"""The ledger: an append-only, hash-chained JSONL file; the single source of truth for results.

The line format (and its hash) is `mapelite.ledger.format`; `verify` works on raw bytes.

Appends from several processes are serialised with ``flock`` on the ledger itself; each append
is one ``write`` of whole lines followed by flush and ``fsync``. Old lines are never rewritten.
Right after, under the same lock, the derived summary index (`mapelite.ledger.summary`) gets one
row per new entry, so roll-ups need not parse the per-item answers, and the checkpoint
(`mapelite.ledger.proof`) moves past the new lines when nothing else touched the file since.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mapelite.errors import LedgerError
from mapelite.ledger.format import (
    GENESIS_HASH,
    check_line,
    encode_entry,
    file_tail_hash,
    read_tail_hash,
    stored_hash,
    write_all,
)
from mapelite.ledger.proof import extend_after_append
from mapelite.ledger.summary import append_summary
from mapelite.schemas import HarnessResult


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of `Ledger.verify`.

    ``entries`` counts the entries found intact (all of them when ``valid``);
    ``first_corrupt`` is the 0-based line index of the first bad line.
    """

    valid: bool
    entries: int
    first_corrupt: int | None = None
    reason: str | None = None


class Ledger:
    """An append-only hash-chained JSONL ledger at ``path``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- writing -------------------------------------------------------------------------------

    def append(self, result: HarnessResult | Mapping[str, Any]) -> HarnessResult:
        """Validate, chain and durably write one result; returns the stored copy."""
        return self.append_many([result])[0]

    def append_many(
        self, results: Iterable[HarnessResult | Mapping[str, Any]]
    ) -> list[HarnessResult]:
        """Append several results under one lock with one write and one fsync."""
        validated = [_validated(r) for r in results]
        if not validated:
            return []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            prev_hash = self._tail_hash(fd)
            first_prev = prev_hash
            lines: list[bytes] = []
            stored: list[HarnessResult] = []
            summarised: list[tuple[dict[str, Any], str]] = []
            for result in validated:
                fields = result.ledger_fields()
                line, entry_hash = encode_entry(fields, prev_hash)
                lines.append(line)
                # The returned copy is parsed from the stored bytes: exactly what read() gives.
                stored.append(HarnessResult.model_validate_json(line))
                summarised.append((fields, entry_hash))
                prev_hash = entry_hash
            stat_before = os.fstat(fd)
            size_before = stat_before.st_size
            try:
                write_all(fd, b"".join(lines))
                os.fsync(fd)
            except OSError as exc:
                # Nothing of this append was reported: cut its partial bytes (disk full) so the
                # ledger keeps a whole last line. Lines already reported are never touched.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size_before)
                raise LedgerError(
                    f"could not append to the ledger at {self.path}: {exc.strerror or exc}; "
                    "nothing of this append was kept"
                ) from None
            # Still under the lock; not fsynced: a lost summary row is detected and rebuilt.
            append_summary(
                self.path, None if first_prev == GENESIS_HASH else first_prev, summarised
            )
            # Our own lines need no re-reading: the next pre-run check starts after them.
            extend_after_append(self.path, stat_before, os.fstat(fd), len(lines), prev_hash)
        finally:
            os.close(fd)  # closing releases the flock
        if created:
            _fsync_dir(self.path.parent)
        return stored

    def check_appendable(self) -> None:
        """Raise LedgerError (one line) unless `append` can work here: the parent directory
        exists or can be created, the file can be opened for appending (or created), and its
        last line is whole and intact. Flows call it before their first model call, so a bad
        path or a torn ledger costs nothing.

        A missing ledger is not created (an empty file would be a side effect of a check):
        a temporary file in its directory proves it could be.
        """
        parent = self.path.parent
        if parent.exists() and not parent.is_dir():
            raise LedgerError(
                f"cannot write the ledger at {self.path}: {parent} is not a directory"
            )
        try:
            parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                with tempfile.TemporaryFile(dir=parent, prefix=".ledger-check-"):
                    return
            if not self.path.is_file():
                raise LedgerError(f"cannot write the ledger: {self.path} is not a regular file")
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        except OSError as exc:
            raise LedgerError(
                f"cannot write the ledger at {self.path}: {exc.strerror or exc} "
                "(set MAPELITE_LEDGER_PATH to a writable file)"
            ) from None
        try:
            self._tail_hash(fd)
        finally:
            os.close(fd)

    def tail_hash(self) -> str:
        """The last entry's hash (the genesis hash for a missing or empty ledger).

        LedgerError when the last line is torn or corrupt.
        """
        return file_tail_hash(self.path)

    def _tail_hash(self, fd: int) -> str:
        return read_tail_hash(fd, self.path)

    # -- reading -------------------------------------------------------------------------------

    def read(self) -> Iterator[HarnessResult]:
        """Every entry in order; a missing ledger yields nothing."""
        for index, line in self._lines():
            yield _parse(line, index, self.path)

    def results_for_run(self, run_id: str) -> dict[str, HarnessResult]:
        """Entries of one run keyed by ``metadata.unit_key`` (later entries win)."""
        needle = json.dumps(run_id, ensure_ascii=False).encode("utf-8")
        found: dict[str, HarnessResult] = {}
        for index, line in self._lines():
            if needle not in line:  # cheap byte filter before parsing
                continue
            result = _parse(line, index, self.path)
            key = result.metadata.unit_key
            if result.metadata.run_id == run_id and key is not None:
                found[key] = result
        return found

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        if not self.path.exists():
            return
        with self._open_to_read() as handle:
            yield from enumerate(handle)

    def _open_to_read(self, buffering: int = -1) -> BinaryIO:
        """The ledger opened for reading; a directory or unreadable file is a LedgerError."""
        try:
            return self.path.open("rb", buffering=buffering)
        except OSError as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc.strerror or exc}") from exc

    # -- verifying -----------------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Check the whole chain on raw bytes; stops at the first corrupt line."""
        if not self.path.exists():
            return VerifyReport(valid=True, entries=0)
        expected = GENESIS_HASH.encode()
        index = 0
        check = check_line
        with self._open_to_read(buffering=1 << 20) as handle:
            for line in handle:
                if line[-1:] != b"\n":
                    reason = "torn last line (no trailing newline): a write was interrupted"
                    return VerifyReport(False, index, index, reason)
                problem = check(line, expected)
                if problem is not None:
                    return VerifyReport(False, index, index, problem)
                expected = stored_hash(line)
                index += 1
        return VerifyReport(valid=True, entries=index)

    def require(self) -> Ledger:
        """This ledger, or a LedgerError when the file does not exist."""
        if not self.path.exists():
            raise LedgerError(f"no ledger at {self.path}")
        return self


def _validated(result: HarnessResult | Mapping[str, Any]) -> HarnessResult:
    # Re-validate even a model instance: fields may have been assigned after construction.
    data = result.model_dump(mode="json") if isinstance(result, HarnessResult) else dict(result)
    return HarnessResult.model_validate(data)


def _parse(line: bytes, index: int, path: Path) -> HarnessResult:
    try:
        return HarnessResult.model_validate_json(line)
    except ValueError as exc:
        raise LedgerError(
            f"ledger {path} line {index} is not a valid entry; run `map-elite verify`"
        ) from exc


def _fsync_dir(directory: Path) -> None:
    # Makes the new file's directory entry durable too.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
