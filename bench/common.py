"""What every benchmark case shares: rows of the table, medians, child processes, the model
server process, peak RSS.

Every figure is a ratio against a baseline measured in the same run: the machines are noisy,
ratios much less so.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CHILD_RESULT_PREFIX = "BENCH-RESULT "


@dataclass
class Row:
    """One line of the table. ``target`` is the largest acceptable ratio (None: info only)."""

    case: str
    wall_s: float | None
    baseline: str = ""
    baseline_s: float | None = None
    target: float | None = None
    reps: int = 1
    note: str = ""
    error: str | None = None
    shown: str | None = None  # what the wall column shows instead of seconds (e.g. "812 MB")
    baseline_shown: str | None = None  # what the baseline column shows instead of seconds

    @property
    def ratio(self) -> float | None:
        if self.wall_s is None or not self.baseline_s:
            return None
        return self.wall_s / self.baseline_s

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return "error"
        if self.target is None:
            return "info"
        ratio = self.ratio
        if ratio is None:
            return "n/a"
        return "pass" if ratio <= self.target else "MISS"


def median(values: list[float]) -> float:
    return statistics.median(values)


def repeat(measure: Callable[[], float], reps: int) -> float:
    """Median of ``reps`` measurements (each returns seconds)."""
    return median([measure() for _ in range(reps)])


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_env(extra: dict[str, str], drop: tuple[str, ...] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def emit_child_result(payload: dict[str, object]) -> None:
    """A child process reports to the bench with one tagged JSON line on stdout."""
    print(CHILD_RESULT_PREFIX + json.dumps(payload), flush=True)


def run_child(
    module: str,
    args: list[str],
    env: dict[str, str],
    timeout_s: float,
    drop: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run ``python -m module args`` and return the payload of its tagged result line.

    A failure raises RuntimeError with the last lines of the child's output (one case's failure
    becomes an ``error`` row; the other cases still run)."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=child_env(env, drop),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(CHILD_RESULT_PREFIX):
            payload: dict[str, Any] = json.loads(line[len(CHILD_RESULT_PREFIX) :])
            return payload
    tail = (completed.stderr or completed.stdout).strip().splitlines()[-6:]
    raise RuntimeError(f"{module} exited {completed.returncode}: " + " | ".join(tail))


@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    """A temp directory that is removed afterwards, whatever happens."""
    import shutil

    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def model_server_process(latency_s: float) -> Iterator[str]:
    """The local model server in its own process (it must not share the bench's CPU time or
    GIL); yields its OpenAI base URL (``http://127.0.0.1:PORT/v1``)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mapelite.testing.model_server", "--port", "0",
         "--latency", str(latency_s)],
        cwd=REPO_ROOT, env=child_env({}), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop_process(process)


def server_requests(base_url: str) -> int:
    """Chat requests the model server has answered so far (all models together)."""
    import urllib.request

    root = base_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/_stats", timeout=5) as response:
        stats = json.loads(response.read())
    return sum(int(s["requests"]) for s in stats.values())


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready within {timeout_s:g} s")
        time.sleep(0.1)


@contextmanager
def prefect_server(workdir: Path, timeout_s: float = 120.0) -> Iterator[str]:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME (SQLite);
    yields its API URL and stops it afterwards."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = child_env(
        {
            "PREFECT_HOME": str(workdir / "prefect-server"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        },
        drop=("PREFECT_API_URL",),
    )
    log = (workdir / "prefect-server.log").open("wb")
    prefect = Path(sys.executable).parent / "prefect"
    process = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    api_url = f"http://127.0.0.1:{port}/api"

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited {process.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        wait_until(healthy, timeout_s, "prefect server")
        yield api_url
    finally:
        stop_process(process)
        log.close()


def format_table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    header = "| case | wall | baseline | ratio | target | result | reps | note |"
    lines = [header, "| --- | ---: | --- | ---: | ---: | --- | ---: | --- |"]
    for row in rows:
        wall = row.shown or ("—" if row.wall_s is None else f"{row.wall_s:.2f} s")
        base = row.baseline
        if row.baseline_shown is not None:
            base = f"{row.baseline} {row.baseline_shown}"
        elif row.baseline_s is not None and row.baseline.endswith("×"):  # a count, not seconds
            base = f"{row.baseline} {row.baseline_s:g}"
        elif row.baseline_s is not None:
            base = f"{row.baseline} {row.baseline_s:.2f} s"
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
        target = "—" if row.target is None else f"≤ {row.target:g}×"
        note = row.error if row.error is not None else row.note
        note = note.replace("|", "/")
        lines.append(
            f"| {row.case} | {wall} | {base} | {ratio} | {target} | {row.verdict} | "
            f"{row.reps} | {note} |"
        )
    return "\n".join(lines)


# -- what the orchestration, whole-process and scale cases share ---------------------------------

LIMIT = 64
"""Calls in flight per provider in every case (the model server answers them all at once)."""
BENCH_MODELS = 64
BENCH_TIER = "bench"


def bench_models(count: int = BENCH_MODELS) -> list[str]:
    """Distinct model ids on the `openai/` provider (the model server answers any name)."""
    return [f"openai/bench-{i:02d}" for i in range(count)]


def write_bench_catalog(home: Path, count: int = BENCH_MODELS) -> None:
    """A catalog in ``home`` with a `bench` tier of `openai/` models, so the batch flow (which
    takes a tier) runs exactly these models."""
    from mapelite.catalog.models import SHIPPED_CATALOG

    data = json.loads(SHIPPED_CATALOG.read_text())
    data["tiers"][BENCH_TIER] = bench_models(count)
    data["tiers"][BENCH_TIER + "8"] = bench_models(8)  # for profiling a small flow
    home.mkdir(parents=True, exist_ok=True)
    (home / "catalog.json").write_text(json.dumps(data))


def mapelite_env(home: Path, base_url: str, limit: int = LIMIT) -> dict[str, str]:
    return {
        "MAPELITE_HOME": str(home),
        "MAPELITE_OPENAI_BASE_URL": base_url,
        "MAPELITE_OPENAI_API_KEY": "bench-key",
        "MAPELITE_PROVIDER_LIMITS": json.dumps({"openai": limit}),
        "MAPELITE_BUDGET_USD": "1000",
    }


def stop_local_servers(root: Path) -> None:
    """Stop the background Prefect servers the commands started for homes under ``root``."""
    try:
        from flows.local_api import stop_servers
    except ImportError:  # a tree without the reusable local server
        return
    stop_servers(root)
