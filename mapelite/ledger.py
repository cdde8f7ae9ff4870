"""The ledger: an append-only, hash-chained JSONL file; the single source of truth for results.

Each line is ``{"prev_hash":"<64 hex>",<fields>,"hash":"<64 hex>"}`` + ``"\\n"``. ``hash`` is the
sha256 of the line's exact bytes with the ``,"hash":"…"`` part removed, so `verify` works on raw
bytes by slicing (no JSON parsing, no re-serialisation). ``prev_hash`` comes first so its
position is fixed too. The first entry's ``prev_hash`` is sha256("MAP-ELITE-GENESIS").

Appends from several processes are serialised with ``flock`` on the ledger itself; each append
is one ``write`` of whole lines followed by flush and ``fsync``. Old lines are never rewritten.
Right after, under the same lock, the derived summary index (`mapelite.ledger_summary`) gets one
row per new entry, so roll-ups need not parse the per-item answers.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mapelite.errors import LedgerError
from mapelite.ledger_summary import append_summary
from mapelite.schemas import HarnessResult

GENESIS_HASH = hashlib.sha256(b"MAP-ELITE-GENESIS").hexdigest()

_PREFIX = b'{"prev_hash":"'  # 14 bytes; the prev hash occupies bytes 14..78
_PREV_END = len(_PREFIX) + 64
_AFTER_PREV = b'",'
_HASH_KEY = b',"hash":"'  # 9 bytes
_SUFFIX = b'"}\n'  # 3 bytes
_TAIL = len(_HASH_KEY) + 64 + len(_SUFFIX)  # 76: bytes after the hashed body (minus its "}")
_MIN_LINE = _PREV_END + len(_AFTER_PREV) + _TAIL
_TAIL_CHUNK = 64 * 1024


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


def _check_line(line: bytes, expected_prev: bytes) -> str | None:
    """Why ``line`` (with its newline) is not a valid successor of ``expected_prev``, or None."""
    if len(line) < _MIN_LINE or line[-_TAIL : -_TAIL + len(_HASH_KEY)] != _HASH_KEY:
        return "malformed entry (not a ledger line)"
    if line[: len(_PREFIX)] != _PREFIX or line[_PREV_END : _PREV_END + 2] != _AFTER_PREV:
        return "malformed entry (not a ledger line)"
    if line[-3:] != _SUFFIX:
        return "malformed entry (not a ledger line)"
    if line[len(_PREFIX) : _PREV_END] != expected_prev:
        return "prev_hash does not match the previous entry's hash"
    digest = hashlib.sha256(line[:-_TAIL])
    digest.update(b"}")
    if digest.hexdigest().encode() != line[-67:-3]:
        return "hash does not match the entry's bytes (edited)"
    return None


def encode_entry(fields: Mapping[str, Any], prev_hash: str) -> tuple[bytes, str]:
    """The stored line for ``fields`` chained after ``prev_hash``, and its hash."""
    rest = {k: v for k, v in fields.items() if k not in ("prev_hash", "hash")}
    body_fields = {"prev_hash": prev_hash, **rest}
    try:
        text = json.dumps(body_fields, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"refused to write an entry that is not plain JSON: {exc}") from exc
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (e.g. from a provider's "\ud800" escape) is not UTF-8: store U+FFFD.
        body = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")
    entry_hash = hashlib.sha256(body).hexdigest()
    line = body[:-1] + _HASH_KEY + entry_hash.encode() + _SUFFIX
    return line, entry_hash


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
            size_before = os.fstat(fd).st_size
            try:
                _write_all(fd, b"".join(lines))
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
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return GENESIS_HASH
        try:
            return self._tail_hash(fd)
        finally:
            os.close(fd)

    def _tail_hash(self, fd: int) -> str:
        """The hash of the last line, read from the end of the file; refuses a bad tail."""
        size = os.fstat(fd).st_size
        if size == 0:
            return GENESIS_HASH
        chunk = min(size, _TAIL_CHUNK)
        while True:
            tail = os.pread(fd, chunk, size - chunk)
            if not tail.endswith(b"\n"):
                raise LedgerError(
                    f"ledger {self.path} ends with a torn line (a write was interrupted); "
                    "nothing was written - run `map-elite verify` and repair it by hand"
                )
            start = tail.rfind(b"\n", 0, len(tail) - 1)
            if start >= 0 or chunk == size:
                last = tail[start + 1 :]
                break
            chunk = min(size, chunk * 4)
        prev = last[len(_PREFIX) : _PREV_END]
        if _check_line(last, prev) is not None:
            raise LedgerError(
                f"the last entry of ledger {self.path} is corrupt; nothing was written - "
                "run `map-elite verify`"
            )
        return last[-67:-3].decode()

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
        check = _check_line
        with self._open_to_read(buffering=1 << 20) as handle:
            for line in handle:
                if line[-1:] != b"\n":
                    reason = "torn last line (no trailing newline): a write was interrupted"
                    return VerifyReport(False, index, index, reason)
                problem = check(line, expected)
                if problem is not None:
                    return VerifyReport(False, index, index, problem)
                expected = line[-67:-3]
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    # Makes the new file's directory entry durable too.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
