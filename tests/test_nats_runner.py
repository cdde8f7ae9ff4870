"""The NATS JetStream runner against a real nats-server and real worker processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import Settings
from mapelite.errors import ConfigError
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions
from runners.nats import NatsHarnessRunner
from runners.nats_topology import RESULT_SUBJECTS, Topology, connect
from tests.support.server_fixtures import NatsServer, free_port, spawn_worker, stop_process
from tests.support.units import units

pytestmark = [pytest.mark.nats, pytest.mark.timeout(120)]

ACK_WAIT_S = 1.5
LATENCY_S = 0.1


@pytest.fixture(scope="module")
def demo_models() -> list[str]:
    return load_catalog().tier("demo")


@pytest.fixture
def settings(nats_server: NatsServer) -> Settings:
    return Settings(nats_url=nats_server.url, connect_timeout_s=2.0)


@pytest.fixture
def worker_env(nats_server: NatsServer) -> dict[str, str]:
    return {
        "MAPELITE_NATS_URL": nats_server.url,
        "MAPELITE_MOCKLLM_LATENCY_S": str(LATENCY_S),
        "MAPELITE_HOME": os.environ["MAPELITE_HOME"],
    }


@pytest.fixture
def two_workers(worker_env: dict[str, str]) -> Iterator[list]:
    args = ["--concurrency", "4", "--ack-wait", str(ACK_WAIT_S)]
    workers = [spawn_worker("runners.nats", args, worker_env) for _ in range(2)]
    yield workers
    for worker in workers:
        stop_process(worker)


def runner_for(settings: Settings) -> NatsHarnessRunner:
    return NatsHarnessRunner(settings, topology=Topology(ack_wait_s=ACK_WAIT_S))


async def test_nats_result_has_the_same_shape_as_the_local_runner(
    settings: Settings, two_workers: list, demo_models: list[str]
) -> None:
    from runners.local import LocalHarnessRunner

    options = HarnessRunnerOptions(
        context=AgentContext(run_id="shape", unit_key="shape/s0/a0/h3", agent=0)
    )
    local = LocalHarnessRunner(Settings())
    runner = runner_for(settings)
    try:
        expected = await local.run(3, demo_models[0], options)
        remote = await runner.run(3, demo_models[0], options)
    finally:
        await local.aclose()
        await runner.aclose()

    assert remote.metadata.runner == "nats"
    assert remote.metadata.engine_id["request_id"]
    assert remote.metadata.engine_id["worker"]
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


async def test_two_workers_share_a_batch_and_a_killed_one_loses_no_request(
    settings: Settings, two_workers: list, demo_models: list[str]
) -> None:
    requests = units("killed", 96, demo_models)
    seen_workers: set[str] = set()
    observer = await connect(settings)

    async def note_worker(message) -> None:
        seen_workers.add(json.loads(message.data)["metadata"]["engine_id"]["worker"])

    await observer.subscribe(RESULT_SUBJECTS, cb=note_worker)
    runner = runner_for(settings)
    try:
        batch = asyncio.create_task(runner.run_many(requests))
        deadline = time.monotonic() + 30
        while len(seen_workers) < 2 and not batch.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(seen_workers) == 2, "both workers should receive work"
        assert not batch.done(), "the kill must land mid-batch"
        victim = two_workers[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        results: list[HarnessResult] = await asyncio.wait_for(batch, timeout=60)
    finally:
        await runner.aclose()
        await observer.drain()

    request_ids = [r.metadata.engine_id["request_id"] for r in results]
    assert len(results) == len(requests)
    assert len(set(request_ids)) == len(requests), "exactly one result per request"
    assert [r.metadata.unit_key for r in results] == [
        u.options.context.unit_key for u in requests if u.options.context
    ]
    assert any(int(r.metadata.engine_id["delivery"]) > 1 for r in results), (
        "the killed worker's in-flight requests are redelivered"
    )


async def test_resubmitted_units_are_answered_from_stored_results_without_running_again(
    settings: Settings, two_workers: list, demo_models: list[str]
) -> None:
    requests = units("again", 8, demo_models)
    runner = runner_for(settings)
    try:
        first = await runner.run_many(requests)
        second = await runner.run_many(requests)
    finally:
        await runner.aclose()
    assert [r.model_dump() for r in second] == [r.model_dump() for r in first]


async def test_unreachable_nats_server_is_a_one_line_config_error_within_the_timeout() -> None:
    address = f"nats://127.0.0.1:{free_port()}"
    runner = NatsHarnessRunner(Settings(nats_url=address, connect_timeout_s=1.0))
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        await runner.run(0, "mockllm/atlas", HarnessRunnerOptions())
    assert time.monotonic() - started < 1.0 + 2.0
    message = caught.value.message
    assert "\n" not in message
    assert address in message and "MAPELITE_NATS_URL" in message
