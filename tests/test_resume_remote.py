"""A resumed unit carries the scored items of its recorded entry (`flows.common`), so a remote
worker needs no ledger to skip them: Temporal and NATS workers (real servers, real worker
processes) ask the project's model server only for the items not carried."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import Settings
from mapelite.harnesses import get_harness
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions, ItemOutcome
from mapelite.testing.model_server import ModelServer
from runners.base import HarnessRunner, UnitRequest
from runners.nats import NatsHarnessRunner
from runners.temporal import TemporalHarnessRunner
from tests.support.model_server_fixtures import TEST_KEY
from tests.support.server_fixtures import spawn_worker, stop_process

pytestmark = [pytest.mark.timeout(120)]

MODEL = load_catalog().tier("tier1")[0]
ORIGIN = "ab" * 32


def resumed_unit(run_id: str) -> tuple[UnitRequest, list[ItemOutcome]]:
    """SENSE with every item but the first carried over from entry ``ORIGIN``."""
    harness = get_harness(0)
    carried = [
        ItemOutcome(
            item_id=item.id, bank=item.bank, bank_version=item.bank_version, answer="Paris",
            score=0.0, tokens_in=10, tokens_out=2, cost_usd=0.001, reused_from=ORIGIN,
        )
        for item in harness.items[1:]
    ]  # fmt: skip
    context = AgentContext(
        run_id=run_id, unit_key=f"{run_id}/s0/a0/h0", supersedes=ORIGIN, reuse=carried
    )
    options = HarnessRunnerOptions(context=context)
    return UnitRequest(harness_id=0, model=MODEL, options=options), carried


def server_env(model_server: ModelServer, **more: str) -> dict[str, str]:
    return {
        "MAPELITE_OPENROUTER_BASE_URL": model_server.base_url,
        "MAPELITE_OPENROUTER_API_KEY": TEST_KEY,
        "MAPELITE_HOME": os.environ["MAPELITE_HOME"],
        **more,
    }


@pytest.fixture(
    params=[
        pytest.param("nats", marks=pytest.mark.nats),
        pytest.param("temporal", marks=pytest.mark.temporal),
    ]
)
def remote(request: pytest.FixtureRequest, model_server: ModelServer) -> Iterator[HarnessRunner]:
    """A remote runner with one worker process, its calls going to ``model_server``."""
    if request.param == "nats":
        server = request.getfixturevalue("nats_server")
        env = server_env(model_server, MAPELITE_NATS_URL=server.url)
        worker = spawn_worker("runners.nats", ["--concurrency", "2"], env)
        runner: HarnessRunner = NatsHarnessRunner(
            Settings(nats_url=server.url, connect_timeout_s=2.0)
        )
    else:
        server = request.getfixturevalue("temporal_server")
        queue = f"test-{uuid.uuid4().hex[:8]}"
        env = server_env(model_server, MAPELITE_TEMPORAL_ADDRESS=server.address)
        worker = spawn_worker("runners.temporal", ["--task-queue", queue], env)
        settings = Settings(temporal_address=server.address, connect_timeout_s=3.0)
        runner = TemporalHarnessRunner(settings, task_queue=queue)
    yield runner
    stop_process(worker)


async def test_a_remote_worker_asks_only_for_the_items_a_resumed_unit_does_not_carry(
    remote: HarnessRunner, model_server: ModelServer
) -> None:
    request, carried = resumed_unit(f"carry-{uuid.uuid4().hex[:6]}")
    try:
        results: list[HarnessResult] = await remote.run_many([request])
    finally:
        await remote.aclose()
    (result,) = results

    assert model_server.total_stats().requests == 1, "only the item not carried is asked"
    taken = [item for item in result.metadata.items if item.reused]
    assert [i.item_id for i in taken] == [i.item_id for i in carried]
    assert all(i.reused_from == ORIGIN and i.cost_usd == 0.001 for i in taken)
    fresh = [item for item in result.metadata.items if not item.reused]
    assert [i.item_id for i in fresh] == [get_harness(0).items[0].id]
    assert result.metadata.cost_usd == pytest.approx(sum(i.cost_usd for i in fresh))
