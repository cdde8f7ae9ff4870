"""A unit recorded with errors is re-run on resume through a remote runner too: Temporal
deduplicates a unit by its identity (a completed workflow is never repeated), so the re-run
carries the hash of the entry it supersedes and is new work (calls counted at the server)."""

from __future__ import annotations

import os
import uuid

from mapelite.config.settings import Settings
from mapelite.harnesses import get_harness
from mapelite.ledger.outcomes import coverage, has_errors
from mapelite.schemas import AgentContext, HarnessRunnerOptions
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from runners.base import UnitRequest
from runners.temporal import TemporalHarnessRunner
from tests.support.server_fixtures import TemporalServer, spawn_worker, stop_process

ITEMS = len(get_harness(0).items)


def unit(supersedes: str | None = None) -> UnitRequest:
    context = AgentContext(run_id="rerun", unit_key="rerun/s0/a0/h0", supersedes=supersedes)
    options = HarnessRunnerOptions(retries=0, context=context)
    return UnitRequest(harness_id=0, model="openai/m", options=options)


async def test_a_unit_with_errors_reruns_through_temporal_when_it_supersedes_the_entry(
    temporal_server: TemporalServer, model_server: ModelServer
) -> None:
    model_server.script("m", ModelScript(fault_sequence=[Fault("server_error")] * 2))
    queue = f"rerun-{uuid.uuid4().hex[:8]}"
    env = {
        "MAPELITE_TEMPORAL_ADDRESS": temporal_server.address,
        "MAPELITE_HOME": os.environ["MAPELITE_HOME"],
        "MAPELITE_OPENAI_BASE_URL": model_server.base_url,
    }
    worker = spawn_worker("runners.temporal", ["--task-queue", queue], env)
    runner = TemporalHarnessRunner(
        Settings(temporal_address=temporal_server.address), task_queue=queue
    )
    try:
        [first] = await runner.run_many([unit()])
        assert has_errors(first) and coverage(first).scored == ITEMS - 2
        assert model_server.stats("m").requests == ITEMS

        [again] = await runner.run_many([unit()])  # the same submission: deduplicated
        assert model_server.stats("m").requests == ITEMS
        assert again.metadata.items == first.metadata.items

        [rerun] = await runner.run_many([unit(supersedes="ab" * 32)])
        assert model_server.stats("m").requests == 2 * ITEMS, "the re-run made its calls"
        assert not has_errors(rerun) and coverage(rerun).fraction == 1.0
    finally:
        await runner.aclose()
        stop_process(worker)


async def test_a_unit_with_errors_reruns_through_nats_when_it_supersedes_the_entry(
    nats_server, model_server: ModelServer
) -> None:
    from runners.nats import NatsHarnessRunner

    model_server.script("m", ModelScript(fault_sequence=[Fault("server_error")] * 2))
    env = {
        "MAPELITE_NATS_URL": nats_server.url,
        "MAPELITE_HOME": os.environ["MAPELITE_HOME"],
        "MAPELITE_OPENAI_BASE_URL": model_server.base_url,
    }
    worker = spawn_worker("runners.nats", ["--concurrency", "2"], env)
    runner = NatsHarnessRunner(Settings(nats_url=nats_server.url, connect_timeout_s=2.0))
    try:
        [first] = await runner.run_many([unit()])
        assert has_errors(first) and model_server.stats("m").requests == ITEMS
        [rerun] = await runner.run_many([unit(supersedes="cd" * 32)])
        assert model_server.stats("m").requests == 2 * ITEMS, "the re-run made its calls"
        assert not has_errors(rerun) and coverage(rerun).fraction == 1.0
    finally:
        await runner.aclose()
        stop_process(worker)
