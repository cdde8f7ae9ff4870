"""An opt-in cache of model responses, kept under ``$MAPELITE_HOME``.

A cached answer is never a fresh measurement: the runner records it as ``cached`` with cost 0,
the cost the original call paid and the hash of the ledger entry that first stored it, so a
profile can include or exclude cached results and a reader can follow one back to its origin.

The cache is filled from the ledger side, after an entry is appended: only an answer that is on
disk in the ledger (and so has an entry hash to point at) is ever served from the cache. The key
covers everything that changes what a model would say: the endpoint, the model, the messages,
the sampling parameters and the seed.

SQLite in WAL mode lets several processes (a flow and its workers) read and add entries at
once; every write is one short transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from mapelite.schemas import HarnessResult

CACHE_FILE_NAME = "response-cache.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    entry_hash TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)
"""


def cache_key(
    *,
    endpoint: str,
    model: str,
    messages: Sequence[tuple[str, str]],
    max_tokens: int | None,
    temperature: float,
    seed: int,
    reasoning: str | None = None,
    routing: Mapping[str, Any] | None = None,
) -> str:
    """The sha256 of everything that changes a model's answer, canonically serialised (the
    reasoning setting and provider routing only when set, so older keys stay valid)."""
    material: dict[str, Any] = {
        "endpoint": endpoint,
        "model": model,
        "messages": [[role, content] for role, content in messages],
        "max_tokens": max_tokens,
        "temperature": temperature,
        "seed": seed,
    }
    if reasoning is not None:
        material["reasoning"] = reasoning
    if routing:
        material["routing"] = dict(routing)
    encoded = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class CachedResponse(BaseModel):
    """A stored answer and where it came from."""

    model_config = ConfigDict(frozen=True)

    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    entry_hash: str


class CacheStats(BaseModel):
    path: str
    entries: int
    size_bytes: int
    original_cost_usd: float


class ResponseCache:
    """Get and put responses by key; safe to use from several processes at once."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._schema_ready = False  # WAL mode and the table are set up once per instance

    @classmethod
    def in_home(cls, home: Path) -> ResponseCache:
        return cls(Path(home) / CACHE_FILE_NAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30.0)) as connection:
            if not self._schema_ready:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(_SCHEMA)
                self._schema_ready = True
            with connection:  # one transaction, committed on exit
                yield connection

    def get(self, key: str) -> CachedResponse | None:
        if not self.path.exists():
            return None
        with self._connect() as connection:
            row = connection.execute(
                "SELECT text, tokens_in, tokens_out, cost_usd, entry_hash FROM responses "
                "WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        text, tokens_in, tokens_out, cost_usd, entry_hash = row
        return CachedResponse(
            text=text,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost_usd,
            entry_hash=entry_hash,
        )

    def put_many(self, responses: Iterable[tuple[str, CachedResponse]]) -> int:
        """Store answers not stored yet (the first answer for a key stays); returns how many."""
        rows = [
            (key, r.text, r.tokens_in, r.tokens_out, r.cost_usd, r.entry_hash)
            for key, r in responses
        ]
        if not rows:
            return 0
        with self._connect() as connection:
            before = connection.total_changes
            connection.executemany(
                "INSERT OR IGNORE INTO responses "
                "(key, text, tokens_in, tokens_out, cost_usd, entry_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            return connection.total_changes - before

    def stats(self) -> CacheStats:
        if not self.path.exists():
            return CacheStats(path=str(self.path), entries=0, size_bytes=0, original_cost_usd=0.0)
        with self._connect() as connection:
            entries, cost = connection.execute(
                "SELECT COUNT(*), COALESCE(SUM(cost_usd), 0) FROM responses"
            ).fetchone()
        size = sum(
            p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file()
        )
        return CacheStats(
            path=str(self.path), entries=entries, size_bytes=size, original_cost_usd=cost
        )

    def clear(self) -> int:
        """Remove every stored answer; returns how many there were."""
        if not self.path.exists():
            return 0
        with self._connect() as connection:
            (entries,) = connection.execute("SELECT COUNT(*) FROM responses").fetchone()
            connection.execute("DELETE FROM responses")
        with closing(sqlite3.connect(self.path)) as connection:
            connection.execute("VACUUM")
        return int(entries)


def responses_to_cache(entries: Iterable[HarnessResult]) -> list[tuple[str, CachedResponse]]:
    """The fresh, scored answers of stored entries that asked to be cached."""
    found: list[tuple[str, CachedResponse]] = []
    for entry in entries:
        if entry.hash is None:
            continue
        for item in entry.metadata.items:
            if item.cache_key is None or item.cached or not item.scored or item.answer is None:
                continue
            response = CachedResponse(
                text=item.answer,
                tokens_in=item.tokens_in,
                tokens_out=item.tokens_out,
                cost_usd=item.cost_usd,
                entry_hash=entry.hash,
            )
            found.append((item.cache_key, response))
    return found
