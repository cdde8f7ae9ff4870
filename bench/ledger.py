"""Ledger cases: `Ledger.verify` of a generated ledger vs `sha256sum` of the same file; append
throughput (single `append`, batched `append_many`); the roll-up of that ledger vs polars only
scanning it (engineer E's `bench.rollup` measurements, each in its own process for its peak RSS).

The ledger is written by `bench.gen_ledger` (realistic batch and swarm entries, chained with
`mapelite.ledger.chain.encode_entry`) into a temp directory that is removed afterwards.
"""

from __future__ import annotations

import os
import subprocess
import time
from itertools import islice
from pathlib import Path
from typing import Any

from bench.common import Row, median

VERIFY_TARGET = 2.0
ROLLUP_TARGET = 2.0
SINGLE_APPENDS = 200
BATCHES, BATCH_SIZE = 20, 100


def generate(path: Path, entries: int) -> float:
    from bench.gen_ledger import generate_ledger

    started = time.perf_counter()
    generate_ledger(path, entries)
    return time.perf_counter() - started


def time_sha256sum(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["sha256sum", str(path)], check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def time_verify(path: Path) -> float:
    from mapelite.ledger.chain import Ledger

    started = time.perf_counter()
    report = Ledger(path).verify()
    wall = time.perf_counter() - started
    if not report.valid:
        raise RuntimeError(f"generated ledger does not verify: {report}")
    return wall


def sample_results(path: Path, count: int) -> list[Any]:
    """Realistic results to append: the first entries of the generated ledger, unchained."""
    from mapelite.ledger.chain import Ledger

    return [
        r.model_copy(update={"prev_hash": None, "hash": None})
        for r in islice(Ledger(path).read(), count)
    ]


def append_rates(source: Path, workdir: Path) -> tuple[float, float, float, float]:
    """(seconds, entries/s) for single appends and for batched appends to a fresh ledger."""
    from mapelite.ledger.chain import Ledger

    results = sample_results(source, max(SINGLE_APPENDS, BATCH_SIZE))
    single = Ledger(workdir / "append-single.jsonl")
    started = time.perf_counter()
    for i in range(SINGLE_APPENDS):
        single.append(results[i % len(results)])
    single_s = time.perf_counter() - started
    batched = Ledger(workdir / "append-many.jsonl")
    started = time.perf_counter()
    for _ in range(BATCHES):
        batched.append_many(results[:BATCH_SIZE])
    many_s = time.perf_counter() - started
    return single_s, SINGLE_APPENDS / single_s, many_s, BATCHES * BATCH_SIZE / many_s


def ledger_rows(path: Path, entries: int, reps: int, workdir: Path) -> list[Row]:
    rows: list[Row] = []
    size_mb = path.stat().st_size / 1e6
    time_sha256sum(path)  # both measurements read the file from the page cache
    sha = median([time_sha256sum(path) for _ in range(reps)])
    verify = median([time_verify(path) for _ in range(reps)])
    rows.append(
        Row(
            f"ledger verify, {entries:,} entries", verify, "sha256sum", sha, VERIFY_TARGET, reps,
            f"{size_mb:.0f} MB, {entries / verify:,.0f} entries/s",
        )
    )  # fmt: skip
    single_s, single_rate, many_s, many_rate = append_rates(path, workdir)
    rows.append(
        Row(
            f"ledger append × {SINGLE_APPENDS}", single_s, note=f"{single_rate:,.0f} entries/s "
            "(validate + lock + fsync each)",
        )
    )  # fmt: skip
    rows.append(
        Row(
            f"ledger append_many {BATCHES} × {BATCH_SIZE}", many_s,
            note=f"{many_rate:,.0f} entries/s (one lock + fsync per batch)",
        )
    )  # fmt: skip
    return rows


def rollup_rows(path: Path, entries: int, reps: int, memory: dict[str, float]) -> list[Row]:
    """Engineer E's roll-up measurement (each step in a fresh process): polars scan + count as
    the baseline, the profile roll-up as the case; ``memory`` receives the roll-up's peak RSS."""
    from bench.rollup import _run_child as rollup_step

    rows = rebuild_rows(path, entries, base_s=rollup_step("baseline", path)["seconds"])
    # Alternate the two, several pairs even for 1M entries: each step is under a second, and on
    # a shared machine back-to-back blocks of one kind catch different load.
    pairs = max(reps, 5)
    base, rollup = [], []
    for _ in range(pairs):
        base.append(rollup_step("baseline", path))
        rollup.append(rollup_step("rollup", path))
    reps = pairs
    base_s = median([r["seconds"] for r in base])
    rollup_s = median([r["seconds"] for r in rollup])
    peak = max(r["peak_rss_mb"] for r in rollup)
    memory["rollup"] = peak
    memory["rollup_baseline"] = max(r["peak_rss_mb"] for r in base)
    return [
        *rows,
        Row(
            f"roll-up, {entries:,} entries", rollup_s, "polars scan+count", base_s,
            ROLLUP_TARGET, reps, f"peak RSS {peak:.0f} MB",
        ),
    ]  # fmt: skip


REBUILD_LIMIT_S = 20.0
REBUILD_LIMIT_MB = 1024.0


def rebuild_rows(path: Path, entries: int, base_s: float) -> list[Row]:
    """The summary index deleted and rebuilt from the ledger (what a ledger written before
    summaries existed, or one whose summary went stale, costs once), in its own process: wall
    time and peak RSS, against the limits for a 1M-entry ledger (20 s, 1 GB)."""
    from bench.rollup import _run_child as rollup_step

    rebuilt = rollup_step("rebuild", path)
    seconds, peak = rebuilt["seconds"], rebuilt["peak_rss_mb"]
    within = seconds <= REBUILD_LIMIT_S and peak <= REBUILD_LIMIT_MB
    limits = f"≤ {REBUILD_LIMIT_S:.0f} s and ≤ {REBUILD_LIMIT_MB / 1024:.0f} GB at 1M entries"
    return [
        Row(
            f"summary rebuild, {entries:,} entries", seconds, "polars scan+count", base_s,
            note=f"{seconds:.1f} s, peak RSS {peak:.0f} MB: "
            f"{'within' if within else 'OVER'} {limits}",
        ),
        Row(f"summary rebuild peak RSS, {entries:,} entries", None, shown=f"{peak:.0f} MB"),
    ]  # fmt: skip


RUN_START_TARGET = 3.0
OUTSIDE_TARGET = 2.0
OUTSIDE_REPS = 3
RUN_START_REPS = 21
APPENDED_PER_RUN = 100


def time_run_start_check(ledger_path: Path) -> float:
    """The ledger part of a run's pre-run check (`check_before_run`): appendable, and verified
    since its checkpoint."""
    from mapelite.ledger.chain import Ledger
    from mapelite.ledger.checkpoint import check_before_run

    started = time.perf_counter()
    check_before_run(Ledger(ledger_path))
    return time.perf_counter() - started


def run_start_rows(path: Path, entries: int, workdir: Path) -> list[Row]:
    """Start of a run on the big ledger vs on an empty one, each after the same
    ``APPENDED_PER_RUN`` entries were appended since the previous run (what a run leaves): the
    check costs what was appended, not the ledger's size. Appends to ``path``: run it last."""
    from mapelite.ledger.chain import Ledger

    results = sample_results(path, APPENDED_PER_RUN)
    first_s = time_run_start_check(path)  # no checkpoint yet: one full verification
    big, empty = Ledger(path), Ledger(workdir / "run-start-empty.jsonl")
    big_times, empty_times = [], []
    for rep in range(RUN_START_REPS):
        big.append_many(results)
        empty.append_many(results)
        # Alternate which goes first: the appends' write-back disturbs the first one measured.
        pair = [(big, big_times), (empty, empty_times)]
        for ledger, times in pair if rep % 2 else pair[::-1]:
            times.append(time_run_start_check(ledger.path))
    # Something other than the ledger wrote the file (here: touched it): the check re-hashes
    # the checkpoint's proven prefix and verifies the lines after it (none here).
    touched_times = []
    for _ in range(OUTSIDE_REPS):
        os.utime(path)
        touched_times.append(time_run_start_check(path))
    return [
        Row(
            f"run start: ledger check, {entries:,} entries", median(big_times),
            "same, empty ledger", median(empty_times), RUN_START_TARGET, RUN_START_REPS,
            f"{APPENDED_PER_RUN} entries appended by the ledger since the last run; the first "
            f"check (no checkpoint, full verify) took {first_s:.2f} s",
        ),
        Row(
            f"run start after an outside write: prefix proof, {entries:,} entries",
            median(touched_times), "sha256sum of the file", time_sha256sum(path),
            OUTSIDE_TARGET, OUTSIDE_REPS,
            "the file's stamp changed: its proven prefix is re-hashed (damage anywhere is found)",
        ),
    ]  # fmt: skip
