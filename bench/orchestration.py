"""Orchestration overhead: 512 full harness runs (64 models × 8 harnesses, every item: 3,072
model calls) against a model server answering in 50 ms, provider limit 64 (ideal 3,072 / 64 ×
50 ms = 2.4 s).

A  plain asyncio + aiohttp, a semaphore of 64 (the baseline of C-F);
A2 the same, sending each item's real prompt and scoring each answer with the item's scorer
   (the work any runner must do: the baseline of B, which does it too);
B  `LocalHarnessRunner.run_batch`;
C  the Prefect batch flow against a `prefect server start` on loopback;
D  the same flow on Prefect's embedded default;
E  the NATS runner, 4 worker processes × 16 in flight;
F  the Temporal runner, one worker, 64 activities in flight.

Every unit is a whole harness run (all its items, answered concurrently as a user's run does);
the model server counts the calls that really arrived, and a row says so when they are not the
expected number. The Prefect cases run the flow in a child process (Prefect
reads its settings at import, and the child's peak RSS is the flow's own).

    .venv/bin/python -m bench.orchestration --child prefect|local   (used by bench/__main__.py)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_MODELS,
    BENCH_TIER,
    LIMIT,
    Row,
    bench_models,
    emit_child_result,
    mapelite_env,
    median,
    model_server_process,
    peak_rss_mb,
    prefect_server,
    run_child,
    server_requests,
    stop_local_servers,
    temp_dir,
    write_bench_catalog,
)

UNITS = 512
LATENCY_S = 0.05
HARNESS_IDS = list(range(8))
MODEL_COUNT = BENCH_MODELS  # 64 models × 8 harnesses = 512 units
WARM_UP_MODELS = 8  # the remote runners' warm-up batch: 8 models × every harness
TARGETS = {"B": 1.2, "C": 3.0, "D": 4.0, "E": 3.0, "F": 5.0}


# -- A: the baseline ---------------------------------------------------------------------------


async def baseline_aiohttp(base_url: str, calls: int, limit: int = LIMIT) -> float:
    """Wall time of ``calls`` chat calls through one aiohttp session, ``limit`` at a time."""
    import aiohttp

    body = {"model": "bench", "messages": [{"role": "user", "content": "ping"}], "stream": False}
    gate = asyncio.Semaphore(limit)
    connector = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(base_url=base_url + "/", connector=connector) as session:

        async def one() -> None:
            async with gate, session.post("chat/completions", json=body) as response:
                response.raise_for_status()
                await response.json()

        await asyncio.gather(*(one() for _ in range(limit)))  # open the connections first
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(calls)))
        return time.perf_counter() - started


async def baseline_scored(base_url: str, models: list[str], limit: int = LIMIT) -> float:
    """Wall time of every harness × ``models`` as plain aiohttp calls with each item's real
    prompt, every answer scored by its item's scorer in the loop; no runner, no retries."""
    import aiohttp

    from mapelite.harnesses import get_harness
    from runners.prompts import build_messages

    work = []
    for harness_id in HARNESS_IDS:
        harness = get_harness(harness_id)
        for item in harness.items:
            messages = [m.model_dump() for m in build_messages(harness, item, "single")]
            for model in models:
                body = {"model": model, "messages": messages, "temperature": 0.0, "stream": False}
                work.append((item, body))
    scores: dict[tuple[int, str], float] = {}
    gate = asyncio.Semaphore(limit)
    connector = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(base_url=base_url + "/", connector=connector) as session:

        async def one(item: Any, body: dict[str, Any]) -> float:
            async with gate, session.post("chat/completions", json=body) as response:
                response.raise_for_status()
                answer = (await response.json())["choices"][0]["message"]["content"]
            key = (id(item), answer)  # models often give the same answer: scored once
            if key not in scores:
                scores[key] = float(item.score(answer))
            return scores[key]

        await asyncio.gather(*(one(item, body) for item, body in work[:limit]))  # warm
        started = time.perf_counter()
        await asyncio.gather(*(one(item, body) for item, body in work))
        return time.perf_counter() - started


# -- B: the local runner -----------------------------------------------------------------------


def harness_options() -> Any:
    from mapelite.schemas import HarnessRunnerOptions

    return HarnessRunnerOptions(timeout_s=60)


def calls_of(models: int, harness_ids: list[int] = HARNESS_IDS) -> int:
    """Model calls of ``models`` models running each of ``harness_ids`` once (every item)."""
    from mapelite.harnesses import get_harness

    return models * sum(len(get_harness(h).items) for h in harness_ids)


async def local_runner_batch(base_url: str, home: Path, models: list[str]) -> float:
    """Wall time of every harness × ``models`` through `LocalHarnessRunner.run_batch` (one call
    per harness, all at once; the runner's provider limit bounds the calls)."""
    from mapelite.config.settings import Settings
    from runners.local import LocalHarnessRunner

    settings = Settings(
        home=home, openai_base_url=base_url, provider_limits={"openai": LIMIT}, ledger_path=None
    )
    runner = LocalHarnessRunner(settings)
    options = harness_options()
    try:
        await runner.run_batch(0, models[:LIMIT], options)  # clients and connections warm
        started = time.perf_counter()
        batches = await asyncio.gather(*(runner.run_batch(h, models, options) for h in HARNESS_IDS))
        wall = time.perf_counter() - started
    finally:
        await runner.aclose()
    failed = [r.metadata.error for batch in batches for r in batch if r.failed]
    if failed:
        raise RuntimeError(f"{len(failed)} local runs failed, first: {failed[0]}")
    return wall


# -- C/D: the Prefect batch flow (child process) ---------------------------------------------


async def _prefect_batch(models_tier: str, runs: int, warm: bool, base_url: str) -> dict[str, Any]:
    from flows.batch import batch_flow
    from mapelite.config.run_options import RunOptions

    options = RunOptions(runs=runs, bank="core")  # the six curated items the bench is sized on
    if warm:  # first flow run of a process pays Prefect start-up (ephemeral server, clients)
        await batch_flow(models_tier, harness="0", options=options)
    before = server_requests(base_url)  # the warm-up's calls are not the timed flow's
    started = time.perf_counter()
    result = await batch_flow(models_tier, harness="all", options=options)
    wall = time.perf_counter() - started
    calls = server_requests(base_url) - before
    return {"wall_s": wall, "calls": calls, "units": result.units, "failed": result.failed}


def prefect_child(reps: int, profile_path: str | None, tier: str = BENCH_TIER) -> None:
    """Runs in the child: ``reps`` timed batch flows (after one warm-up flow)."""
    from flows import prepare_environment  # noqa: F401  (Prefect defaults, before Prefect loads)

    base_url = os.environ["MAPELITE_OPENAI_BASE_URL"]
    started = time.perf_counter()
    import flows.batch  # noqa: F401

    import_s = time.perf_counter() - started
    walls: list[float] = []
    calls: list[int] = []
    info: dict[str, Any] = {}
    for rep in range(reps):
        batch = _prefect_batch(tier, 1, warm=rep == 0, base_url=base_url)
        if profile_path and rep == reps - 1:
            from pyinstrument import Profiler

            with Profiler(async_mode="enabled") as profiler:
                info = asyncio.run(batch)
            Path(profile_path).write_text(profiler.output_text(unicode=True, show_all=False))
        else:
            info = asyncio.run(batch)
        walls.append(info["wall_s"])
        calls.append(info["calls"])
    emit_child_result(
        {
            "walls": walls,
            "calls": calls,
            "units": info["units"],
            "failed": info["failed"],
            "import_s": import_s,
            "peak_rss_mb": peak_rss_mb(),
        }
    )


# -- E/F: remote runners -----------------------------------------------------------------------


def remote_units(run_id: str, models: list[str]) -> list[Any]:
    from mapelite.schemas import AgentContext
    from mapelite.swarm.plan import unit_key
    from runners.base import UnitRequest

    options = harness_options()
    return [
        UnitRequest(
            harness_id=h,
            model=model,
            options=options.model_copy(
                update={
                    "context": AgentContext(
                        run_id=run_id, unit_key=unit_key(run_id, 0, index, h), agent=index
                    )
                }
            ),
        )
        for h in HARNESS_IDS
        for index, model in enumerate(models)
    ]


async def time_remote(
    run_many: Callable[[list[Any]], Awaitable[list[Any]]], models: list[str], reps: int
) -> list[float]:
    """Warm up with a small batch, then ``reps`` timed batches of every harness × model."""
    await run_many(remote_units(f"warm-{uuid.uuid4().hex[:8]}", models[:WARM_UP_MODELS]))
    walls = []
    for _ in range(reps):
        units = remote_units(f"bench-{uuid.uuid4().hex[:8]}", models)
        started = time.perf_counter()
        results = await run_many(units)
        walls.append(time.perf_counter() - started)
        failed = [r.metadata.error for r in results if r.failed]
        if failed:
            raise RuntimeError(f"{len(failed)} runs failed, first: {failed[0]}")
    return walls


async def nats_batches(workdir: Path, home: Path, base_url: str, reps: int) -> list[float]:
    """E: the NATS runner with 4 worker processes, 16 runs in flight each (4 × 16 = 64)."""
    from bench.distributed import start_nats
    from mapelite.config.settings import Settings
    from runners.nats import NatsHarnessRunner
    from tests.support.server_fixtures import spawn_worker, stop_process

    server, url = start_nats(workdir)
    env = {**mapelite_env(home, base_url, limit=16), "MAPELITE_NATS_URL": url}
    workers = []
    try:
        workers = [spawn_worker("runners.nats", ["--concurrency", "16"], env) for _ in range(4)]
        runner = NatsHarnessRunner(Settings(nats_url=url))
        try:
            return await time_remote(runner.run_many, bench_models(), reps)
        finally:
            await runner.aclose()
    finally:
        for worker in workers:
            stop_process(worker)
        stop_process(server)  # type: ignore[arg-type]


async def temporal_batches(workdir: Path, home: Path, base_url: str, reps: int) -> list[float]:
    """F: the Temporal runner with one worker, 64 activities in flight (in-memory dev server)."""
    from bench.distributed import start_temporal
    from mapelite.config.settings import Settings
    from runners.temporal import TemporalHarnessRunner
    from tests.support.server_fixtures import spawn_worker, stop_process

    server, address = start_temporal(workdir)
    env = {**mapelite_env(home, base_url), "MAPELITE_TEMPORAL_ADDRESS": address}
    worker = None
    try:
        worker = spawn_worker("runners.temporal", ["--concurrency", str(LIMIT)], env)
        runner = TemporalHarnessRunner(Settings(temporal_address=address))
        try:
            return await time_remote(runner.run_many, bench_models(), reps)
        finally:
            await runner.aclose()
    finally:
        if worker is not None:
            stop_process(worker)
        stop_process(server)  # type: ignore[arg-type]


CASE_NAMES = {
    "A": "A asyncio + aiohttp, semaphore 64",
    "A2": "A2 A with real prompts, answers scored",
    "B": "B LocalHarnessRunner.run_batch",
    "C": "C Prefect batch flow, prefect server",
    "D": "D Prefect batch flow, no server configured",
    "E": "E NATS runner, 4 workers × 16",
    "F": "F Temporal runner, 1 worker",
}


def run_cases(cases: set[str], reps: int, memory: dict[str, float]) -> list[Row]:
    """Every requested orchestration case against one model-server process; A always runs
    (it is the baseline). ``memory`` receives the Prefect flow process's peak RSS."""
    with temp_dir("mapelite-bench-orch-") as workdir:
        try:
            return _run_cases(workdir, cases, reps, memory)
        finally:
            stop_local_servers(workdir)  # case D's local Prefect server


def _run_cases(workdir: Path, cases: set[str], reps: int, memory: dict[str, float]) -> list[Row]:
    rows: list[Row] = []
    with model_server_process(LATENCY_S) as base_url:
        home = workdir / "home"
        write_bench_catalog(home)
        calls = calls_of(MODEL_COUNT)
        ideal = calls / LIMIT * LATENCY_S
        a = median([asyncio.run(baseline_aiohttp(base_url, calls)) for _ in range(reps)])
        rows.append(Row(CASE_NAMES["A"], a, "ideal", ideal, None, reps, f"{calls} calls"))

        def add(case: str, measure: Callable[[], tuple[list[float], str]]) -> None:
            if case not in cases:
                return
            row = Row(CASE_NAMES[case], None, "A", a, TARGETS[case], reps)
            try:
                walls, row.note = measure()
                row.wall_s, row.reps = median(walls), len(walls)
            except Exception as exc:  # one failing case must not hide the others
                row.error = f"{type(exc).__name__}: {exc}"[:300]
            rows.append(row)

        def counted(
            walls_of: Callable[[], list[float]], warm_up_calls: int
        ) -> tuple[list[float], str]:
            """Runs the case and checks with the server that each unit made exactly one call."""
            before = server_requests(base_url)
            walls = walls_of()
            made = server_requests(base_url) - before - warm_up_calls
            per_rep = made / max(1, len(walls))
            return walls, "" if per_rep == calls else f"{per_rep:.0f} calls per rep"

        def local() -> list[float]:
            models = bench_models()
            return [asyncio.run(local_runner_batch(base_url, home, models)) for _ in range(reps)]

        if "B" in cases:  # B is measured against A2: the same per-item work, no runner
            models = bench_models()
            a2 = median([asyncio.run(baseline_scored(base_url, models)) for _ in range(reps)])
            rows.append(Row(CASE_NAMES["A2"], a2, "A", a, None, reps, f"{calls} calls"))
            row = Row(CASE_NAMES["B"], None, "A2", a2, TARGETS["B"], reps)
            try:
                walls, row.note = counted(local, calls_of(LIMIT, [0]) * reps)
                row.wall_s, row.reps = median(walls), len(walls)
            except Exception as exc:
                row.error = f"{type(exc).__name__}: {exc}"[:300]
            rows.append(row)

        def prefect(api_url: str | None) -> tuple[list[float], str]:
            env = mapelite_env(home, base_url)
            env["PREFECT_HOME"] = str(workdir / f"prefect-{'server' if api_url else 'embedded'}")
            if api_url:
                env["PREFECT_API_URL"] = api_url
            payload = run_child(
                "bench.orchestration", ["--child", "prefect", "--reps", str(reps)], env,
                timeout_s=240, drop=("PREFECT_API_URL",),
            )  # fmt: skip
            memory["C" if api_url else "D"] = float(payload["peak_rss_mb"])
            notes = [f"flow process peak RSS {payload['peak_rss_mb']:.0f} MB"]
            if max(payload["calls"]) != calls:
                notes.append(f"{max(payload['calls'])} calls per rep")
            if payload["failed"]:
                notes.append(f"{payload['failed']} units failed")
            return list(payload["walls"]), "; ".join(notes)

        if "C" in cases:
            try:
                with prefect_server(workdir) as api_url:
                    add("C", lambda: prefect(api_url))
            except Exception as exc:
                rows.append(Row(CASE_NAMES["C"], None, "A", a, TARGETS["C"], error=str(exc)))
        add("D", lambda: prefect(None))
        add(
            "E",
            lambda: counted(
                lambda: asyncio.run(nats_batches(workdir, home, base_url, reps)),
                calls_of(WARM_UP_MODELS),
            ),
        )
        add(
            "F",
            lambda: counted(
                lambda: asyncio.run(temporal_batches(workdir, home, base_url, reps)),
                calls_of(WARM_UP_MODELS),
            ),
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.orchestration")
    parser.add_argument("--child", choices=["prefect"], required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--profile", default=None, help="pyinstrument text profile of the last rep")
    parser.add_argument("--tier", default=BENCH_TIER, help="bench (64 models) or bench8")
    args = parser.parse_args()
    prefect_child(args.reps, args.profile, args.tier)


if __name__ == "__main__":
    main()
