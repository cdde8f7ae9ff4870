"""Generate a realistic, valid (hash-chained) ledger of any size, fast, for benchmarks.

Entries come in the shapes the flows write: batch runs (each model of a tier × 8 harnesses,
role ``single``) and swarm runs (``:10`` scatter-gather: 8 workers + 1 aggregator; ``:01``
broadcast: 1 source + 8 consumers), each with per-item outcomes, tokens, costs, ~3 % failed
runs, mockllm rows marked simulated. Lines are encoded with the ledger's own `encode_entry`, so
`Ledger.verify` accepts the file, but pydantic validation is skipped (it would dominate). The
summary index beside it (`mapelite.ledger.summary`) is written row by row as `Ledger.append`
writes it, so a roll-up finds it in step.

    python -m bench.gen_ledger /tmp/ledger.jsonl --entries 1000000
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mapelite.catalog.models import load_catalog
from mapelite.ledger.format import GENESIS_HASH, encode_entry
from mapelite.ledger.summary import SUMMARY_HEADER, summary_path, summary_row
from mapelite.schemas import HARNESS_NAMES

FAILURE_RATE = 0.03
START = datetime(2025, 1, 1, tzinfo=UTC)


def _models() -> list[str]:
    catalog = load_catalog()
    return [
        *catalog.tier("demo"),
        *catalog.tier("tier1"),
        "ollama/llama3.2:1b",
        "ollama/qwen2.5:3b",
    ]


class _EntryMaker:
    def __init__(self, rng: random.Random, items_per_entry: int) -> None:
        self.rng = rng
        self.items = items_per_entry
        self.skill = {m: rng.uniform(0.2, 0.95) for m in _models()}
        self.clock = START

    def entry(self, model: str, harness_id: int, run_id: str, **context: Any) -> dict[str, Any]:
        rng = self.rng
        self.clock += timedelta(milliseconds=rng.randint(50, 2000))
        failed = rng.random() < FAILURE_RATE
        bonus = 0.1 if context.get("role") in ("aggregator", "consumer") else 0.0
        p = min(1.0, self.skill[model] + bonus)
        outcomes: list[dict[str, Any]] = [
            {
                "item_id": f"{HARNESS_NAMES[harness_id].lower()}-{i}",
                "answer": None if failed else f"answer {rng.randint(0, 999)}",
                "score": 0.0 if failed else float(rng.random() < p),
                "latency_s": round(rng.uniform(0.2, 3.0), 3),
                "tokens_in": rng.randint(80, 600),
                "tokens_out": rng.randint(5, 200),
                "cost_usd": 0.0,
                "attempts": 1,
                "error": "timeout" if failed else None,
            }
            for i in range(self.items)
        ]
        raw = sum(o["score"] for o in outcomes)
        tokens_in = sum(o["tokens_in"] for o in outcomes)
        tokens_out = sum(o["tokens_out"] for o in outcomes)
        cost = (tokens_in + tokens_out) * 2e-7
        return {
            "harness_id": harness_id,
            "harness_name": HARNESS_NAMES[harness_id],
            "model": model,
            "scores": {"raw": raw, "normalized": raw / self.items},
            "timestamp": self.clock.isoformat().replace("+00:00", "Z"),
            "metadata": {
                "run_id": run_id,
                "runner": "local",
                "engine_id": {},
                "unit_key": f"{run_id}/{context.get('stage', 0)}/{context.get('agent', 0)}/"
                f"{harness_id}",
                "pattern": None,
                "stage": None,
                "agent": None,
                "role": "single",
                "upstream": [],
                **context,
                "items": outcomes,
                "latency_s": round(sum(o["latency_s"] for o in outcomes), 3),
                "tokens_in": tokens_in,
                "tokens_out": tokens_out,
                "cost_usd": 0.0 if model.startswith(("mockllm/", "ollama/")) else cost,
                "cost_estimated_usd": cost,
                "cost_source": "simulated" if model.startswith("mockllm/") else "estimated",
                "attempts": 1,
                "queue_depth": 0,
                "wait_s": 0.0,
                "error": "timeouts exhausted" if failed else None,
                "simulated": model.startswith("mockllm/"),
                "catalog_hash": None,
                "seed": 0,
            },
        }


def _runs(maker: _EntryMaker) -> Iterator[dict[str, Any]]:
    """An endless stream of entries grouped in realistic runs."""
    catalog = load_catalog()
    tiers = [catalog.tier("demo"), catalog.tier("tier1")]
    rng = maker.rng
    number = 0
    while True:
        number += 1
        tier = rng.choice(tiers)
        run_id = f"run-{number:07d}"
        kind = rng.random()
        if kind < 0.6:  # batch: every model of the tier on every harness
            for model in tier:
                for harness_id in HARNESS_NAMES:
                    yield maker.entry(model, harness_id, run_id)
            continue
        harness_id = rng.randrange(8)
        lead = tier[0]
        if kind < 0.85:  # :10 scatter-gather
            for agent in range(8):
                yield maker.entry(tier[agent % len(tier)], harness_id, run_id, pattern=":10",
                                  stage=0, agent=agent, role="worker")  # fmt: skip
            yield maker.entry(lead, harness_id, run_id, pattern=":10", stage=1, agent=0,
                              role="aggregator")  # fmt: skip
        else:  # :01 broadcast
            yield maker.entry(lead, harness_id, run_id, pattern=":01", stage=0, agent=0,
                              role="worker")  # fmt: skip
            for agent in range(8):
                yield maker.entry(tier[agent % len(tier)], harness_id, run_id, pattern=":01",
                                  stage=1, agent=agent, role="consumer")  # fmt: skip


def generate_ledger(
    path: Path, entries: int, *, seed: int = 0, items_per_entry: int = 5, summary: bool = True
) -> Path:
    """Write ``entries`` chained entries to ``path`` (replacing it) and its summary index
    (skipped with ``summary=False``: a roll-up then rebuilds it)."""
    maker = _EntryMaker(random.Random(seed), items_per_entry)
    prev = GENESIS_HASH
    path.parent.mkdir(parents=True, exist_ok=True)
    index_path = summary_path(path)
    index_path.unlink(missing_ok=True)  # a summary of the file being replaced
    with path.open("wb", buffering=1 << 22) as handle:
        index = index_path.open("wb", buffering=1 << 22) if summary else None
        try:
            if index is not None:
                index.write(SUMMARY_HEADER)
            for seq, fields in zip(range(entries), _runs(maker), strict=False):
                line, prev = encode_entry(fields, prev)
                handle.write(line)
                if index is not None:
                    index.write(summary_row(fields, seq, prev))
        finally:
            if index is not None:
                index.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=5, help="item outcomes per entry")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-summary", action="store_true", help="leave the summary index out")
    args = parser.parse_args()
    started = time.perf_counter()
    generate_ledger(
        args.path,
        args.entries,
        seed=args.seed,
        items_per_entry=args.items,
        summary=not args.no_summary,
    )
    size_mb = args.path.stat().st_size / 1e6
    print(f"wrote {args.entries} entries ({size_mb:.0f} MB) to {args.path} "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
