"""Whole-process cases: what a user waits for, from typing a `map-elite` command to its exit.

H  `map-elite --help`: the baseline (interpreter, CLI, settings), timed in the same run;
T  the tiny run, ``map-elite batch bench8 --harness 0 --yes``: 8 models × 6 items = 48 calls
   answered in 0.1 s by the model server, 64 in flight;
L  the 3,072-call batch, ``map-elite batch bench8 --harness all --runs 8 --yes``: 8 models ×
   8 harnesses × 8 runs × 6 items, 50 ms a call, 64 in flight (ideal 3,072 / 64 × 50 ms = 2.4 s).

Each is run cold (a fresh ``MAPELITE_HOME``: no Prefect database yet) and warm (the same home
again). A cold run on a machine that never built Prefect's schema before (an empty cache) is
shown apart, as information. Every command is a real process (`.venv/bin/map-elite`), timed
from spawn to exit; its phases come from timestamps on one clock (``time.monotonic()``, the
same in every process of the machine): the estimate line on its stdout, and the model server's
first request and last answer.

    .venv/bin/python -m bench --only whole        (or --quick for one repetition)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    LIMIT,
    REPO_ROOT,
    Row,
    child_env,
    mapelite_env,
    median,
    model_server_process,
    stop_local_servers,
    temp_dir,
    write_bench_catalog,
)

TINY_LATENCY_S = 0.1
BATCH_LATENCY_S = 0.05
TINY_ARGS = ["batch", "bench8", "--harness", "0", "--bank", "core", "--yes"]
BATCH_ARGS = ["batch", "bench8", "--harness", "all", "--runs", "8", "--bank", "core", "--yes"]
TARGETS = {"tiny warm": 2.0, "tiny cold": 4.0, "batch warm": 1.5}
# A user's own Prefect set-up must not leak into the measured commands (nor theirs into ours).
PREFECT_CHOICES = (
    "PREFECT_API_URL",
    "PREFECT_HOME",
    "PREFECT_PROFILE",
    "PREFECT_SERVER_DATABASE_CONNECTION_URL",
    "PREFECT_LOGGING_LEVEL",
)


def map_elite() -> str:
    """The console script of the environment the bench runs in (`.venv/bin/map-elite`)."""
    return str(Path(sys.executable).parent / "map-elite")


@dataclass
class Timing:
    """One command, seconds from spawn: when the estimate was printed, when the first model
    call arrived, when the last was answered, when the process exited."""

    exit_s: float
    estimate_s: float | None = None
    first_call_s: float | None = None
    last_result_s: float | None = None
    calls: int = 0

    def phases(self) -> str:
        marks = [0.0, self.estimate_s, self.first_call_s, self.last_result_s, self.exit_s]
        if any(m is None for m in marks):
            return "phases n/a"
        a, b, c, d, e = (float(m or 0.0) for m in marks)
        return (
            f"start→estimate {b - a:.2f} s, estimate→first call {c - b:.2f} s, "
            f"calls {d - c:.2f} s, last result→exit {e - d:.2f} s"
        )


def _server_get(root: str, path: str, method: str = "GET") -> dict[str, object]:
    request = urllib.request.Request(f"{root}{path}", method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        payload: dict[str, object] = json.loads(response.read())
        return payload


def run_timed(args: list[str], env: dict[str, str], server_root: str) -> Timing:
    """Run ``map-elite args`` to its end; a non-zero exit raises with its last output lines."""
    _server_get(server_root, "/_reset", method="POST")
    started = time.monotonic()
    process = subprocess.Popen(
        [map_elite(), *args], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    estimate_s = None
    for line in process.stdout:
        if estimate_s is None and line.startswith("cost estimate"):
            estimate_s = time.monotonic() - started
        lines.append(line.rstrip())
    code = process.wait()
    exit_s = time.monotonic() - started
    if code != 0:
        raise RuntimeError(f"map-elite {' '.join(args)} exited {code}: " + " | ".join(lines[-4:]))
    noise = [line for line in lines if "Traceback" in line or "WARNING" in line]
    if noise:
        raise RuntimeError(f"map-elite {' '.join(args)} printed: {noise[0]}")
    timeline = _server_get(server_root, "/_timeline")

    def since_start(key: str) -> float | None:
        value = timeline.get(key)
        return None if value is None else float(str(value)) - started

    return Timing(
        exit_s=exit_s,
        estimate_s=estimate_s,
        first_call_s=since_start("first_arrival_s"),
        last_result_s=since_start("last_done_s"),
        calls=int(str(timeline.get("requests", 0))),
    )


def help_wall(reps: int) -> float:
    env = child_env({"COLUMNS": "120"}, drop=PREFECT_CHOICES)
    walls = []
    for _ in range(reps):
        started = time.monotonic()
        subprocess.run([map_elite(), "--help"], env=env, capture_output=True, check=True)
        walls.append(time.monotonic() - started)
    return median(walls)


class WholeProcessCases:
    """The commands of one kind (tiny or batch) against one model server, cold and warm."""

    def __init__(self, label: str, workdir: Path, base_url: str, reps: int) -> None:
        self.label = label  # homes of different cases never meet
        self.workdir = workdir
        self.base_url = base_url
        self.root = base_url.removesuffix("/v1")
        self.reps = reps
        self.cache = workdir / "cache"  # where a built Prefect schema may be kept between homes
        self._homes = 0

    def env(self, home: Path) -> dict[str, str]:
        extra = mapelite_env(home, self.base_url)
        extra.update({"XDG_CACHE_HOME": str(self.cache), "COLUMNS": "120"})
        return child_env(extra, drop=PREFECT_CHOICES)

    def fresh_home(self) -> Path:
        self._homes += 1
        home = self.workdir / f"{self.label}-home-{self._homes}"
        write_bench_catalog(home, count=8)
        return home

    def cold(self, args: list[str]) -> list[Timing]:
        timings = []
        for _ in range(self.reps):
            home = self.fresh_home()
            timings.append(run_timed(args, self.env(home), self.root))
            stop_local_servers(home)  # the next cold run finds nothing running either
        return timings

    def warm(self, args: list[str]) -> list[Timing]:
        home = self.fresh_home()
        run_timed(args, self.env(home), self.root)  # makes the home warm
        return [run_timed(args, self.env(home), self.root) for _ in range(self.reps)]


def _row(
    case: str, timings: list[Timing], base: str, base_s: float, target: float | None, calls: int
) -> Row:
    ordered = sorted(timings, key=lambda t: t.exit_s)
    middle = ordered[len(ordered) // 2]
    note = middle.phases()
    if middle.calls != calls:
        note += f"; {middle.calls} calls, expected {calls}"
    return Row(case, middle.exit_s, base, base_s, target, len(timings), note)


def _measured(
    case: str,
    run: Callable[[], list[Timing]],
    base: str,
    base_s: float,
    target: float | None,
    calls: int,
) -> Row:
    """The case's row; its failure is an ``error`` row, so the other cases still run."""
    try:
        return _row(case, run(), base, base_s, target, calls)
    except Exception as exc:
        return Row(case, None, base, base_s, target, error=f"{type(exc).__name__}: {exc}"[:300])


def whole_rows(reps: int) -> list[Row]:
    """Every whole-process case; H first (the baseline of the others)."""
    help_reps = max(3, reps)
    help_s = help_wall(help_reps)
    rows = [Row("H map-elite --help", help_s, reps=help_reps, note="the baseline")]
    with temp_dir("mapelite-bench-whole-") as workdir:
        try:
            with model_server_process(TINY_LATENCY_S) as base_url:
                tiny = WholeProcessCases("tiny", workdir, base_url, reps)
                rows += [
                    # first: the schema cache is still empty
                    _measured("T tiny run, cold, first ever", lambda: tiny.cold(TINY_ARGS)[:1],
                              "H", help_s, None, 48),
                    _measured("T tiny run, cold", lambda: tiny.cold(TINY_ARGS),
                              "H", help_s, TARGETS["tiny cold"], 48),
                    _measured("T tiny run, warm", lambda: tiny.warm(TINY_ARGS),
                              "H", help_s, TARGETS["tiny warm"], 48),
                ]  # fmt: skip
            with model_server_process(BATCH_LATENCY_S) as base_url:
                batch = WholeProcessCases("batch", workdir, base_url, reps)
                calls = 8 * 8 * 8 * 6
                base_s = calls / LIMIT * BATCH_LATENCY_S + help_s
                rows += [
                    _measured("L 3,072 calls, cold", lambda: batch.cold(BATCH_ARGS),
                              "ideal + H", base_s, None, calls),
                    _measured("L 3,072 calls, warm", lambda: batch.warm(BATCH_ARGS),
                              "ideal + H", base_s, TARGETS["batch warm"], calls),
                ]  # fmt: skip
        finally:
            stop_local_servers(workdir)
    return rows


if __name__ == "__main__":
    from bench.common import format_table

    quick = "--quick" in sys.argv
    print(format_table(whole_rows(1 if quick else 3)))
    os._exit(0)
