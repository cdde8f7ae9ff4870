"""The Temporal runner against a real dev server and real worker processes.

Units run in chunk activities: one activity per chunk, its heartbeats carrying the results
finished so far, so a worker killed mid-chunk costs only the units it had not finished.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid

import pytest
from temporalio.api.enums.v1 import EventType

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import Settings
from mapelite.errors import ConfigError
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions
from runners.temporal import TemporalHarnessRunner, connect_client
from runners.temporal_chunks import (
    estimated_result_bytes,
    payload_bytes,
    plan_workflows,
    split_by_budget,
)
from runners.temporal_workflows import ChunkProgress
from tests.support.server_fixtures import TemporalServer, free_port, spawn_worker, stop_process
from tests.support.units import units

pytestmark = [pytest.mark.temporal, pytest.mark.timeout(120)]

HEARTBEAT_TIMEOUT_S = 1.5


@pytest.fixture(scope="module")
def demo_models() -> list[str]:
    return load_catalog().tier("demo")


@pytest.fixture
def settings(temporal_server: TemporalServer) -> Settings:
    return Settings(temporal_address=temporal_server.address, connect_timeout_s=3.0)


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def start_worker(temporal_server: TemporalServer, task_queue: str, latency_s: float):
    env = {
        "MAPELITE_TEMPORAL_ADDRESS": temporal_server.address,
        "MAPELITE_MOCKLLM_LATENCY_S": str(latency_s),
        "MAPELITE_HOME": os.environ["MAPELITE_HOME"],
        "MAPELITE_OPENROUTER_API_KEY": "",
    }
    return spawn_worker("runners.temporal", ["--task-queue", task_queue, "--concurrency", "8"], env)


def runner_for(settings: Settings, task_queue: str, chunk_size: int = 16) -> TemporalHarnessRunner:
    return TemporalHarnessRunner(
        settings,
        task_queue=task_queue,
        heartbeat_timeout_s=HEARTBEAT_TIMEOUT_S,
        chunk_size=chunk_size,
    )


async def reported_unit_keys(settings: Settings, workflow_id: str) -> set[str]:
    """Unit keys whose results the workflow's running chunk activities have heartbeated."""
    client = await connect_client(settings)
    description = await client.get_workflow_handle(workflow_id).describe()
    keys: set[str] = set()
    for pending in description.raw_description.pending_activities:
        details = await client.data_converter.decode(pending.heartbeat_details.payloads)
        if details:
            progress = ChunkProgress.model_validate(details[0])
            keys.update(r.metadata.unit_key or "" for r in progress.results.values())
    return keys


async def count_events(settings: Settings, workflow_id: str, event_type: int) -> int:
    client = await connect_client(settings)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return sum(1 for event in history.events if event.event_type == event_type)


async def test_temporal_result_has_the_same_shape_as_the_local_runner(
    settings: Settings, temporal_server: TemporalServer, task_queue: str, demo_models: list[str]
) -> None:
    from runners.local import LocalHarnessRunner

    options = HarnessRunnerOptions(
        context=AgentContext(run_id="shape", unit_key="shape/s0/a0/h3", agent=0)
    )
    worker = start_worker(temporal_server, task_queue, latency_s=0.0)
    local = LocalHarnessRunner(Settings())
    runner = runner_for(settings, task_queue)
    try:
        expected = await local.run(3, demo_models[0], options)
        remote = await runner.run(3, demo_models[0], options)
    finally:
        await local.aclose()
        await runner.aclose()
        stop_process(worker)

    assert remote.metadata.runner == "temporal"
    engine = remote.metadata.engine_id
    assert engine["workflow_id"].startswith("mapelite-shape-s0-a0-h3")
    assert engine["workflow_run_id"] and engine["activity_id"] and engine["attempt"] == "1"
    assert remote.simulated and expected.simulated
    assert (remote.harness_id, remote.model, remote.scores) == (
        expected.harness_id,
        expected.model,
        expected.scores,
    )
    assert [i.item_id for i in remote.metadata.items] == [
        i.item_id for i in expected.metadata.items
    ]
    assert (remote.metadata.run_id, remote.metadata.unit_key) == ("shape", "shape/s0/a0/h3")


async def test_a_killed_worker_costs_only_the_units_its_heartbeats_had_not_reported(
    settings: Settings, temporal_server: TemporalServer, task_queue: str, demo_models: list[str]
) -> None:
    # 32 units in 2 chunks of 16, 8 in flight at 1 s each: about 4 s of work to interrupt, and
    # the worker reports finished results at most once a second.
    requests = units(f"kill-{task_queue}", 32, demo_models)
    runner = runner_for(settings, task_queue, chunk_size=16)
    [[*chunks]] = runner.plan(requests)
    assert len(chunks) == 2
    workflow_id = runner.workflow_id(requests)
    first = start_worker(temporal_server, task_queue, latency_s=1.0)
    second = None
    try:
        batch = asyncio.create_task(runner.run_many(requests))
        deadline = time.monotonic() + 30
        reported: set[str] = set()
        while len(reported) < 8 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            try:
                reported = await reported_unit_keys(settings, workflow_id)
            except Exception:  # the workflow may not be visible yet
                reported = set()
        assert len(reported) >= 8 and not batch.done(), "the kill must land mid-batch"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        second = start_worker(temporal_server, task_queue, latency_s=0.0)
        results: list[HarnessResult] = await asyncio.wait_for(batch, timeout=60)
    finally:
        await runner.aclose()
        stop_process(first)
        if second is not None:
            stop_process(second)

    assert len(results) == len(requests)
    assert all(r.metadata.error is None for r in results)
    assert [r.metadata.unit_key for r in results] == [
        u.options.context.unit_key for u in requests if u.options.context
    ]
    workers = {r.metadata.engine_id["worker"] for r in results}
    assert len(workers) == 2, "the new worker finished what the killed one had not"
    assert any(int(r.metadata.engine_id["attempt"]) > 1 for r in results)
    # Every unit reported before the kill kept the killed worker's result: it was not re-run.
    killed_worker = {
        r.metadata.engine_id["worker"]
        for r in results
        if r.metadata.unit_key in reported and r.metadata.engine_id["attempt"] == "1"
    }
    assert len(killed_worker) == 1
    by_key = {r.metadata.unit_key: r for r in results}
    assert all(by_key[key].metadata.engine_id["worker"] in killed_worker for key in reported)


async def test_resubmitting_a_finished_run_starts_no_new_activity(
    settings: Settings, temporal_server: TemporalServer, task_queue: str, demo_models: list[str]
) -> None:
    requests = units(f"again-{task_queue}", 6, demo_models)
    worker = start_worker(temporal_server, task_queue, latency_s=0.0)
    runner = runner_for(settings, task_queue)
    workflow_id = runner.workflow_id(requests)
    scheduled = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    try:
        first = await runner.run_many(requests)
        scheduled_before = await count_events(settings, workflow_id, scheduled)
        second = await runner.run_many(requests)
        scheduled_after = await count_events(settings, workflow_id, scheduled)
    finally:
        await runner.aclose()
        stop_process(worker)

    assert scheduled_before == 1, "six units are one chunk activity"
    assert scheduled_after == scheduled_before
    assert [r.model_dump() for r in second] == [r.model_dump() for r in first]


async def test_a_unit_with_a_permanent_error_fails_alone_without_a_retry_of_its_chunk(
    settings: Settings, temporal_server: TemporalServer, task_queue: str, demo_models: list[str]
) -> None:
    requests = units(f"keyless-{task_queue}", 4, demo_models)
    keyless = requests[1].model_copy(update={"model": "openrouter/some-vendor/some-model"})
    requests[1] = keyless
    worker = start_worker(temporal_server, task_queue, latency_s=0.0)
    runner = runner_for(settings, task_queue)
    try:
        results = await runner.run_many(requests)
    finally:
        await runner.aclose()
        stop_process(worker)

    errors = [r.metadata.error for r in results]
    assert errors[0] is None and errors[2] is None and errors[3] is None
    assert errors[1] is not None and errors[1].startswith("ConfigError: ")
    assert results[1].scores.normalized == 0.0
    assert {r.metadata.engine_id["attempt"] for r in results} == {"1"}


def test_chunks_keep_input_order_and_respect_the_count_and_byte_budgets() -> None:
    sizes = [100, 100, 700, 100, 100, 100, 2000, 100]
    ranges = split_by_budget(sizes, max_count=3, max_bytes=1000)
    assert ranges == [(0, 3), (3, 6), (6, 7), (7, 8)], "an oversized entry gets its own range"
    assert [i for start, end in ranges for i in range(start, end)] == list(range(len(sizes)))


def test_a_workflow_payload_stays_under_the_budget_and_the_plan_is_deterministic(
    demo_models: list[str],
) -> None:
    requests = units("plan", 300, demo_models)
    budget = 200_000
    plan = plan_workflows(requests, chunk_size=32, payload_bytes_limit=budget)
    assert len(plan) > 1, "300 full runs do not fit one 200 kB workflow"
    for workflow in plan:
        assert all(len(chunk) <= 32 for chunk in workflow)
        assert sum(payload_bytes(r) for chunk in workflow for r in chunk) <= budget
    flat = [r for workflow in plan for chunk in workflow for r in chunk]
    assert flat == requests
    assert plan_workflows(requests, chunk_size=32, payload_bytes_limit=budget) == plan


async def test_a_real_result_is_no_bigger_than_its_payload_estimate(demo_models: list[str]) -> None:
    from runners.local import LocalHarnessRunner

    local = LocalHarnessRunner(Settings())
    try:
        requests = units("estimate", 8, demo_models[:1])
        results = await local.run_many(requests)
    finally:
        await local.aclose()
    for request, result in zip(requests, results, strict=True):
        assert len(result.model_dump_json()) <= estimated_result_bytes(request)


async def test_unreachable_temporal_server_is_a_one_line_config_error_within_the_timeout() -> None:
    address = f"127.0.0.1:{free_port()}"
    runner = TemporalHarnessRunner(Settings(temporal_address=address, connect_timeout_s=1.0))
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        await runner.run(0, "mockllm/atlas", HarnessRunnerOptions())
    assert time.monotonic() - started < 1.0 + 2.0
    message = caught.value.message
    assert "\n" not in message
    assert address in message and "MAPELITE_TEMPORAL_ADDRESS" in message
