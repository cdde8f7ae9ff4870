"""Scale: the largest runs complete, with the peak memory of the command's process printed.

S1  ``map-elite swarm :30 --tier demo --harness all --yes``: 512 + 1 agents × 8 harnesses
    (4,104 harness runs, simulated models);
S2  ``map-elite batch bench --harness all --yes``: a 64-model batch over the model server
    (512 harness runs, 3,072 calls, 50 ms each, 64 in flight);
S3  memory against the number of harness runs: ``map-elite batch demo --harness all --runs R``
    for R = 1, 4, 16 (64 to 1,024 harness runs): the peak memory must grow less than linearly
    (ratio of peaks below the ratio of runs).

Each command runs in a fresh wrapper process whose only child it is, so the wrapper's
``RUSAGE_CHILDREN`` peak is the command's own (the detached Prefect server is not its child).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    Row,
    child_env,
    mapelite_env,
    model_server_process,
    stop_local_servers,
    temp_dir,
    write_bench_catalog,
)
from bench.whole import PREFECT_CHOICES, map_elite

PEAK_OF_CHILD = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    "sys.exit(code)\n"
)


def run_measured(args: list[str], env: dict[str, str], timeout_s: float) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of ``map-elite args``; a failure raises."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_OF_CHILD, map_elite(), *args],
        env=env, capture_output=True, text=True, timeout=timeout_s,
    )  # fmt: skip
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"map-elite {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return wall, float(done.stdout.strip().splitlines()[-1])


def scale_rows(quick: bool) -> list[Row]:
    rows: list[Row] = []
    with temp_dir("mapelite-bench-scale-") as workdir:
        try:
            rows += _swarm_and_batch(workdir, quick)
            rows += _memory_growth(workdir, quick)
        finally:
            stop_local_servers(workdir)
    return rows


def _env(home: Path, base_url: str, workdir: Path) -> dict[str, str]:
    extra = mapelite_env(home, base_url)
    extra["XDG_CACHE_HOME"] = str(workdir / "cache")
    return child_env(extra, drop=PREFECT_CHOICES)


def _attempt(case: str, measure: Row | None, error: Exception | None) -> Row:
    if measure is not None:
        return measure
    return Row(case, None, error=f"{type(error).__name__}: {error}"[:300])


def _swarm_and_batch(workdir: Path, quick: bool) -> list[Row]:
    rows = []
    home = workdir / "home"
    write_bench_catalog(home)
    pattern = ":20" if quick else ":30"
    agents = (64 if quick else 512) + 1
    with model_server_process(0.05) as base_url:
        env = _env(home, base_url, workdir)
        cases = [
            (
                f"S1 swarm {pattern}, demo tier, all harnesses",
                ["swarm", pattern, "--tier", "demo", "--harness", "all", "--yes"],
                f"{agents} agents × 8 harnesses",
            ),
            (
                "S2 batch, 64 models, all harnesses",
                ["batch", "bench", "--harness", "all", "--bank", "core", "--yes"],
                "512 harness runs, 3,072 calls",
            ),
        ]
        for case, args, what in cases:
            try:
                wall, peak = run_measured(args, env, timeout_s=1800)
                rows.append(Row(case, wall, shown=f"{wall:.1f} s, {peak:.0f} MB", note=what))
            except Exception as exc:
                rows.append(_attempt(case, None, exc))
    return rows


def _memory_growth(workdir: Path, quick: bool) -> list[Row]:
    repeats = [1, 2, 4] if quick else [1, 4, 16]
    home = workdir / "home-growth"
    write_bench_catalog(home)
    env = _env(home, "http://127.0.0.1:9/v1", workdir)  # demo tier: no model server needed
    peaks: dict[int, float] = {}
    case = f"S3 peak memory, batch demo --runs {repeats[0]} → {repeats[-1]}"
    try:
        for runs in repeats:
            args = ["batch", "demo", "--harness", "all", "--runs", str(runs), "--yes"]
            peaks[runs] = run_measured(args, env, timeout_s=1800)[1]
    except Exception as exc:
        return [_attempt(case, None, exc)]
    first, last = repeats[0], repeats[-1]
    growth = peaks[last] / peaks[first]
    units = last / first
    listed = ", ".join(f"{64 * r} runs {peaks[r]:.0f} MB" for r in repeats)
    # The ratio column compares memory growth with the growth of the work: below 1 = sublinear.
    row = Row(case, growth, "runs ×", units, 1.0, note=listed, shown=f"{growth:.2f}× memory")
    return [row]


if __name__ == "__main__":
    from bench.common import format_table

    print(format_table(scale_rows("--quick" in sys.argv)))
