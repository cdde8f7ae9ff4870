"""The ledger's line format, in one place: encoding an entry, checking a stored line, reading
a line's stored hash and a file's last hash, and writing bytes whole.

Each line is ``{"prev_hash":"<64 hex>",<fields>,"hash":"<64 hex>"}`` + ``"\\n"``. ``hash`` is the
sha256 of the line's exact bytes with the ``,"hash":"…"`` part removed, so a check works on raw
bytes by slicing (no JSON parsing, no re-serialisation). ``prev_hash`` comes first so its
position is fixed too. The first entry's ``prev_hash`` is sha256("MAP-ELITE-GENESIS").
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mapelite.errors import LedgerError

GENESIS_HASH = hashlib.sha256(b"MAP-ELITE-GENESIS").hexdigest()

_PREFIX = b'{"prev_hash":"'  # 14 bytes; the prev hash occupies bytes 14..78
_PREV_END = len(_PREFIX) + 64
_AFTER_PREV = b'",'
_HASH_KEY = b',"hash":"'  # 9 bytes
_SUFFIX = b'"}\n'  # 3 bytes
_TAIL = len(_HASH_KEY) + 64 + len(_SUFFIX)  # 76: bytes after the hashed body (minus its "}")
_MIN_LINE = _PREV_END + len(_AFTER_PREV) + _TAIL
_TAIL_CHUNK = 64 * 1024
_HASH_END = len(_SUFFIX)
_HASH_START = _HASH_END + 64


def stored_hash(line: bytes) -> bytes:
    """The hash a stored line (with its newline) carries, as 64 hex bytes."""
    return line[-_HASH_START:-_HASH_END]


def stored_prev_hash(line: bytes) -> bytes:
    """The previous entry's hash a stored line carries, as 64 hex bytes."""
    return line[len(_PREFIX) : _PREV_END]


def utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (e.g. from a provider's "\\ud800" escape) is not
    UTF-8 and is stored as U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")


def check_line(line: bytes, expected_prev: bytes) -> str | None:
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
    if digest.hexdigest().encode() != stored_hash(line):
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
    body = utf8(text)
    entry_hash = hashlib.sha256(body).hexdigest()
    line = body[:-1] + _HASH_KEY + entry_hash.encode() + _SUFFIX
    return line, entry_hash


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` (``os.write`` may write less than it was given)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_tail_hash(fd: int, path: Path) -> str:
    """The hash of the last line of the open ledger ``fd`` (the genesis hash when it is empty),
    read from the end of the file; a torn or corrupt last line is a LedgerError."""
    size = os.fstat(fd).st_size
    if size == 0:
        return GENESIS_HASH
    chunk = min(size, _TAIL_CHUNK)
    while True:
        tail = os.pread(fd, chunk, size - chunk)
        if not tail.endswith(b"\n"):
            raise LedgerError(
                f"ledger {path} ends with a torn line (a write was interrupted); "
                "nothing was written - run `map-elite verify` and repair it by hand"
            )
        start = tail.rfind(b"\n", 0, len(tail) - 1)
        if start >= 0 or chunk == size:
            last = tail[start + 1 :]
            break
        chunk = min(size, chunk * 4)
    if check_line(last, stored_prev_hash(last)) is not None:
        raise LedgerError(
            f"the last entry of ledger {path} is corrupt; nothing was written - "
            "run `map-elite verify`"
        )
    return stored_hash(last).decode()


def file_tail_hash(path: Path) -> str:
    """The last entry's hash of the ledger at ``path`` (the genesis hash for a missing or empty
    one); LedgerError when its last line is torn or corrupt."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return GENESIS_HASH
    try:
        return read_tail_hash(fd, path)
    finally:
        os.close(fd)
