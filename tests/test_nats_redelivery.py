"""A NATS worker killed mid-batch: its requests are redelivered to another worker, which pays
only for the items nobody answered (real nats-server, real worker processes, model calls
counted at the project's model server)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import Settings
from mapelite.harnesses import get_harness
from mapelite.schemas import AgentContext, HarnessRunnerOptions
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import ModelScript
from runners.base import UnitRequest
from runners.nats import NatsHarnessRunner
from runners.nats_topology import Topology
from tests.support.model_server_fixtures import TEST_KEY
from tests.support.server_fixtures import NatsServer, spawn_worker, stop_process

pytestmark = [pytest.mark.nats, pytest.mark.timeout(120)]

ACK_WAIT_S = 1.5
LATENCY_S = 0.3
HARNESSES = (0, 1, 3, 7)
MODELS = load_catalog().tier("tier1")[:3]
PER_WORKER_CALLS = 8  # the in-process openrouter limit of each worker: its calls in flight


@pytest.fixture
def workers(nats_server: NatsServer, model_server: ModelServer) -> Iterator[list]:
    env = {
        "MAPELITE_NATS_URL": nats_server.url,
        "MAPELITE_OPENROUTER_BASE_URL": model_server.base_url,
        "MAPELITE_OPENROUTER_API_KEY": TEST_KEY,
        "MAPELITE_HOME": os.environ["MAPELITE_HOME"],
    }
    args = ["--concurrency", "4", "--ack-wait", str(ACK_WAIT_S)]
    started = [spawn_worker("runners.nats", args, env) for _ in range(2)]
    yield started
    for worker in started:
        stop_process(worker)


def batch(run_id: str) -> list[UnitRequest]:
    """One unit per (model, harness): no two units send the same prompt to the same model."""
    pairs = [(model, harness) for model in MODELS for harness in HARNESSES]
    return [
        UnitRequest(
            harness_id=harness,
            model=model,
            options=HarnessRunnerOptions(
                retries=0,
                context=AgentContext(
                    run_id=run_id, unit_key=f"{run_id}/s0/a{i}/h{harness}", agent=i
                ),
            ),
        )
        for i, (model, harness) in enumerate(pairs)
    ]


def calls(server: ModelServer) -> list[tuple[str, str, float, int]]:
    """(model, message hash, arrival, status) of every call the server received."""
    names = {model.split("/", 1)[1] for model in MODELS}
    return [
        (name, entry.key, entry.arrival_s, entry.status)
        for name in sorted(names)
        for entry in server.stats(name).log
    ]


async def test_a_killed_workers_recorded_answers_are_not_paid_again_on_redelivery(
    nats_server: NatsServer, model_server: ModelServer, workers: list
) -> None:
    model_server.script("*", ModelScript(latency_s=LATENCY_S))
    requests = batch("redeliver")
    items = sum(len(get_harness(r.harness_id).items) for r in requests)
    settings = Settings(nats_url=nats_server.url, connect_timeout_s=2.0)
    runner = NatsHarnessRunner(settings, topology=Topology(ack_wait_s=ACK_WAIT_S))
    try:
        running = asyncio.create_task(runner.run_many(requests))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not running.done():
            answered = sum(1 for *_, status in calls(model_server) if status == 200)
            if answered >= 3 * PER_WORKER_CALLS:  # both workers are two rounds in
                break
            await asyncio.sleep(0.005)
        assert not running.done(), "the kill must land mid-batch"
        victim = workers[0]
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        victim.wait(timeout=10)
        results = await asyncio.wait_for(running, timeout=60)
    finally:
        await runner.aclose()

    assert len(results) == len(requests)
    assert all(r.metadata.error is None for r in results)
    assert any(int(r.metadata.engine_id["delivery"]) > 1 for r in results), "redelivered"
    log = calls(model_server)
    sent = Counter((name, key) for name, key, _, _ in log)
    resent = {call for call, times in sent.items() if times > 1}
    # Answered well before the kill: recorded by the worker, whatever it was doing after.
    settled = killed_at - LATENCY_S - 0.15
    answered_early = {
        (name, key) for name, key, arrival, status in log if status == 200 and arrival < settled
    }
    assert answered_early, "the victim had answered items before it died"
    assert not answered_early & resent, "a recorded answer was paid for again"
    # The bound docs/resume.md states: the victim's calls in flight, and the answers it had
    # received but not yet recorded (each at most its in-process limit).
    detail = [(k[:6], round(a - killed_at, 3), st) for n, k, a, st in log if (n, k) in resent]
    assert len(log) - items <= 2 * PER_WORKER_CALLS, detail
