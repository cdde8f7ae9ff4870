"""Distributed runners benchmark: 512 harness runs whose model calls take 50 ms.

Starts nats-server and a Temporal dev server (in memory) on free ports, then measures:
- NATS: 4 worker processes x 16 runs in flight;
- Temporal, one worker (64 harness runs in flight): what the runner does for a batch (`run_many`:
  a workflow whose activities each run a chunk of units), the same with one activity per unit
  (chunk size 1, the former design), and one workflow per harness run (`run` 512 times at once).
Mockllm items of a run are answered concurrently, so a run takes about one call's latency and
the ideal wall time is runs / runs-in-flight * latency. Prints wall time and ratio vs ideal.

    .venv/bin/python -m bench.distributed [--runs 512] [--latency 0.05]   (from the repo root)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from mapelite.config.settings import Settings
from mapelite.schemas import AgentContext, HarnessRunnerOptions
from runners.base import UnitRequest
from tests.support.server_fixtures import free_port, spawn_worker, stop_process, temporal_binary

# SENSE: cheap to score (SHAPE would run each answer's tests in a subprocess and dominate).
HARNESS_ID = 0


def start_nats(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("nats-server") or "nats-server"
    process = subprocess.Popen(
        [binary, "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", str(workdir / "store"),
         "--ports_file_dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    ports = workdir / f"nats-server_{process.pid}.ports"
    while not ports.exists() or not ports.read_text().strip():
        time.sleep(0.05)
    return process, json.loads(ports.read_text())["nats"][0]


def start_temporal(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    address = f"127.0.0.1:{port}"
    binary = str(temporal_binary())
    process = subprocess.Popen(
        [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
         "--log-level", "error"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    health = [binary, "operator", "cluster", "health", "--address", address]
    while "SERVING" not in subprocess.run(health, capture_output=True, text=True).stdout:
        time.sleep(0.2)
    return process, address


def units(run_id: str, count: int, model: str) -> list[UnitRequest]:
    return [
        UnitRequest(
            harness_id=HARNESS_ID,
            model=model,
            options=HarnessRunnerOptions(
                context=AgentContext(
                    run_id=run_id, unit_key=f"{run_id}/s0/a{i}/h{HARNESS_ID}", agent=i
                )
            ),
        )
        for i in range(count)
    ]


async def timed(label: str, ideal_s: float, job: Callable[[], Awaitable[object]]) -> None:
    started = time.monotonic()
    await job()
    wall = time.monotonic() - started
    print(f"{label:<44} wall {wall:6.2f} s   ideal {ideal_s:5.2f} s   ratio {wall / ideal_s:5.1f}x")


async def bench(runs: int, latency_s: float) -> None:
    from runners.nats import NatsHarnessRunner
    from runners.temporal import TemporalHarnessRunner

    workdir = Path(tempfile.mkdtemp(prefix="mapelite-bench-"))
    nats_process, nats_url = start_nats(workdir)
    temporal_process, temporal_address = start_temporal(workdir)
    env = {
        "MAPELITE_NATS_URL": nats_url,
        "MAPELITE_TEMPORAL_ADDRESS": temporal_address,
        "MAPELITE_MOCKLLM_LATENCY_S": str(latency_s),
        "MAPELITE_PROVIDER_LIMITS": json.dumps({"mockllm": 4096}),
        "MAPELITE_HOME": str(workdir / "home"),
    }
    workers = [spawn_worker("runners.nats", ["--concurrency", "16"], env) for _ in range(4)]
    workers.append(spawn_worker("runners.temporal", ["--concurrency", "64"], env))
    model = "mockllm/atlas"
    ideal = runs / 64 * latency_s
    try:
        from runners.local import LocalHarnessRunner

        local = LocalHarnessRunner(
            Settings(mockllm_latency_s=latency_s, provider_limits={"mockllm": 4096})
        )

        async def local_64_in_flight() -> object:
            gate = asyncio.Semaphore(64)

            async def one(request: UnitRequest) -> object:
                async with gate:
                    return await local.run(request.harness_id, request.model, request.options)

            return await asyncio.gather(*(one(r) for r in units("local", runs, model)))

        await timed(f"local (baseline), 64 in flight, {runs} runs", ideal, local_64_in_flight)
        await local.aclose()

        nats_runner = NatsHarnessRunner(Settings(nats_url=nats_url))
        await nats_runner.run_many(units("warmup", 8, model))
        await timed(
            f"nats, 4 workers x 16 in flight, {runs} runs",
            ideal,
            lambda: nats_runner.run_many(units("nats", runs, model)),
        )
        await nats_runner.aclose()

        temporal_runner = TemporalHarnessRunner(Settings(temporal_address=temporal_address))
        await temporal_runner.run_many(units("warmup", 8, model))
        await timed(
            f"temporal, 1 worker, {temporal_runner.chunk_size}-run chunk activities",
            ideal,
            lambda: temporal_runner.run_many(units("t-batch", runs, model)),
        )
        per_unit = TemporalHarnessRunner(Settings(temporal_address=temporal_address), chunk_size=1)
        await timed(
            "temporal, 1 worker, activity per run",
            ideal,
            lambda: per_unit.run_many(units("t-per-unit", runs, model)),
        )
        await per_unit.aclose()

        async def one_workflow_each() -> object:
            requests = units("t-single", runs, model)
            return await asyncio.gather(
                *(temporal_runner.run(r.harness_id, r.model, r.options) for r in requests)
            )

        await timed("temporal, 1 worker, workflow per run", ideal, one_workflow_each)
        await temporal_runner.aclose()
    finally:
        for worker in workers:
            stop_process(worker)
        for process in (nats_process, temporal_process):
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.distributed")
    parser.add_argument("--runs", type=int, default=512)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    asyncio.run(bench(args.runs, args.latency))


if __name__ == "__main__":
    main()
