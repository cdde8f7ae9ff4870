"""The Temporal runner against a real dev server and real worker processes."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid

import pytest
from temporalio.api.enums.v1 import EventType

from mapelite.catalog import load_catalog
from mapelite.errors import ConfigError
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions
from mapelite.settings import Settings
from runners.base import UnitRequest
from runners.temporal import TemporalHarnessRunner, connect_client
from tests.support.server_fixtures import TemporalServer, free_port, spawn_worker, stop_process

pytestmark = [pytest.mark.temporal, pytest.mark.timeout(120)]

HEARTBEAT_TIMEOUT_S = 1.5


def units(run_id: str, count: int, models: list[str]) -> list[UnitRequest]:
    return [
        UnitRequest(
            harness_id=i % 8,
            model=models[i % len(models)],
            options=HarnessRunnerOptions(
                context=AgentContext(run_id=run_id, unit_key=f"{run_id}/s0/a{i}/h{i % 8}", agent=i)
            ),
        )
        for i in range(count)
    ]


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
    }
    return spawn_worker("runners.temporal", ["--task-queue", task_queue, "--concurrency", "8"], env)


def runner_for(settings: Settings, task_queue: str) -> TemporalHarnessRunner:
    return TemporalHarnessRunner(
        settings, task_queue=task_queue, heartbeat_timeout_s=HEARTBEAT_TIMEOUT_S
    )


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


async def test_a_batch_survives_its_worker_being_killed_once_a_new_worker_starts(
    settings: Settings, temporal_server: TemporalServer, task_queue: str, demo_models: list[str]
) -> None:
    requests = units(f"kill-{task_queue}", 48, demo_models)
    runner = runner_for(settings, task_queue)
    workflow_id = runner.workflow_id(requests)
    first = start_worker(temporal_server, task_queue, latency_s=0.2)
    second = None
    try:
        batch = asyncio.create_task(runner.run_many(requests))
        deadline = time.monotonic() + 30
        completed = 0
        while completed < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            try:
                completed = await count_events(
                    settings, workflow_id, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
                )
            except Exception:  # the workflow may not be visible yet
                completed = 0
        assert completed >= 2 and not batch.done(), "the kill must land mid-batch"
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

    assert scheduled_before == len(requests)
    assert scheduled_after == scheduled_before
    assert [r.model_dump() for r in second] == [r.model_dump() for r in first]


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
