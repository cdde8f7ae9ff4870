"""`python -m bench` (`make bench`): every benchmark case, one table, ratios measured in one run.

    .venv/bin/python -m bench                 # full run (≈ 20 min on 2 cores)
    .venv/bin/python -m bench --quick         # one repetition, 100k-entry ledger
    .venv/bin/python -m bench --only B,ledger # some cases (A always runs with B-F: the baseline)

Cases: whole (what a user waits for: `map-elite --help`, the tiny run and the 3,072-call
batch as whole processes, cold and warm, bench.whole), transport (httpx's pool vs the aiohttp
transport the providers use, bench.transport), A-F orchestration overhead with full harness
runs (bench.orchestration), ledger verify and append, and the ledger check at the start of a
run against an empty ledger's (bench.ledger), rollup (bench.rollup via bench.ledger), memory
(peak RSS of C and of the roll-up), scale (a :30 swarm, a 64-model batch and memory against
runs, bench.scale), sandbox (SHAPE problems/s under bubblewrap vs a plain subprocess,
bench.sandbox), banks (items generated per second by each harness's generator, bench.banks),
search (search spend / full-grid spend and the time per generation, bench.search),
viewer (the 10,000-answer viewer file's size and its open time in headless chromium against an
empty page, bench.viewer).
The table is printed and written to bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import REPO_ROOT, Row, format_table, temp_dir

ORCHESTRATION = ["A", "B", "C", "D", "E", "F"]
GROUPS = {"orchestration": ORCHESTRATION, "memory": ["C", "rollup", "memory"]}
VALID = [
    "whole",
    *ORCHESTRATION,
    "orchestration",
    "transport",
    "ledger",
    "rollup",
    "memory",
    "scale",
    "sandbox",
    "banks",
    "viewer",
    "search",
]
RESULTS = REPO_ROOT / "bench" / "results" / "latest.md"


def parse_only(text: str | None) -> set[str]:
    if not text:
        return set(VALID)
    chosen: set[str] = set()
    for token in (t.strip() for t in text.split(",") if t.strip()):
        name = token.upper() if token.upper() in ORCHESTRATION else token.lower()
        if name not in VALID:
            raise SystemExit(f"error: unknown case {token!r}; valid: {', '.join(VALID)}")
        chosen.update(GROUPS.get(name, [name]))
    return chosen


def run(selected: set[str], quick: bool) -> list[Row]:
    from bench.ledger import generate, ledger_rows, rollup_rows, run_start_rows
    from bench.memory import memory_rows
    from bench.orchestration import run_cases

    reps = 1 if quick else 3
    memory: dict[str, float] = {}
    rows: list[Row] = []
    if "whole" in selected:
        from bench.whole import whole_rows

        print("whole processes: --help, tiny run, 3,072-call batch; cold and warm ...", flush=True)
        rows += whole_rows(reps)
    if "transport" in selected:
        from bench.transport import transport_rows

        print("transport: httpx pool vs aiohttp transport ...", flush=True)
        rows += transport_rows(reps)
    cases = selected & set(ORCHESTRATION)
    if cases:
        print(f"orchestration cases {', '.join(sorted(cases | {'A'}))} ...", flush=True)
        rows += run_cases(cases, reps, memory)
    if selected & {"ledger", "rollup"}:
        entries = 100_000 if quick else 1_000_000
        with temp_dir("mapelite-bench-ledger-") as workdir:
            path = workdir / "ledger.jsonl"
            print(f"generating a {entries:,}-entry ledger ...", flush=True)
            took = generate(path, entries)
            print(f"  {path.stat().st_size / 1e6:.0f} MB in {took:.1f} s", flush=True)
            if "ledger" in selected:
                print("ledger verify and append ...", flush=True)
                rows += ledger_rows(path, entries, reps, workdir)
            if "rollup" in selected:
                print("roll-up ...", flush=True)
                rows += rollup_rows(path, entries, 1 if entries >= 1_000_000 else reps, memory)
            if "ledger" in selected:  # last: it appends to the generated ledger
                print("run start: ledger check since its checkpoint ...", flush=True)
                rows += run_start_rows(path, entries, workdir)
    if "memory" in selected:
        rows += memory_rows(memory)
    if "sandbox" in selected:
        from bench.sandbox import sandbox_rows

        print("SHAPE sandbox: bubblewrap vs plain subprocess ...", flush=True)
        rows += sandbox_rows(reps)
    if "banks" in selected:
        from bench.banks import bank_rows

        print("item banks: items generated per second ...", flush=True)
        rows += bank_rows(quick)
    if "viewer" in selected:
        from bench.viewer import viewer_rows

        print(
            "viewer: 10,000 answers, file size and open time in headless chromium ...", flush=True
        )
        rows += viewer_rows(reps)
    if "search" in selected:
        from bench.search import search_rows

        print("search: spend against the full grid, time per generation ...", flush=True)
        rows += search_rows()
    if "scale" in selected:
        from bench.scale import scale_rows

        print("scale: :30 swarm, 64-model batch, memory against runs ...", flush=True)
        rows += scale_rows(quick)
    return rows


def write_results(table: str, quick: bool, seconds: float) -> Path:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    command = "python -m bench" + (" --quick" if quick else "")
    header = (
        f"# Benchmark results\n\n`{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {seconds:.0f} s in all. "
        "Ratios are against a baseline measured in the same run; wall = median of `reps`.\n\n"
    )
    RESULTS.write_text(header + table + "\n")
    return RESULTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition, 100k-entry ledger")
    parser.add_argument("--only", default=None, help=f"comma list of: {', '.join(VALID)}")
    args = parser.parse_args(argv)
    selected = parse_only(args.only)
    started = time.perf_counter()
    rows = run(selected, args.quick)
    seconds = time.perf_counter() - started
    table = format_table(rows)
    print()
    print(table)
    path = write_results(table, args.quick, seconds)
    print(f"\n{seconds:.0f} s; written to {path.relative_to(REPO_ROOT)}")
    return 1 if any(r.verdict == "error" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
