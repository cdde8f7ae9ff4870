"""LocalHarnessRunner against the real model server: scoring, metadata, cost, limits, roles."""

from __future__ import annotations

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.harnesses import get_harness
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import AnswerRequest, ModelScript
from runners.base import HarnessRunner
from runners.local import LocalHarnessRunner
from tests.support.model_server_fixtures import server_settings

FAST = HarnessRunnerOptions(timeout_s=20, retries=1, retry_delay_s=0.01)
OPENROUTER_MODEL = "openrouter/meta-llama/llama-3.2-1b-instruct"


async def run_one(server: ModelServer, model: str, options=FAST, harness_id: int = 0, **kw):
    async with LocalHarnessRunner(server_settings(server), **kw) as runner:
        return await runner.run(harness_id, model, options)


async def test_leaving_the_runner_block_closes_its_clients_even_after_an_error(
    model_server: ModelServer,
):
    runner = LocalHarnessRunner(server_settings(model_server))
    with pytest.raises(RuntimeError, match="stop"):
        async with runner:
            await runner.run(0, "openai/local-model", FAST)
            api = runner.api_for("openai/local-model")
            raise RuntimeError("stop")
    assert runner._apis == {}
    assert api._client.is_closed  # type: ignore[attr-defined]


def test_local_runner_implements_the_protocol():
    runner = LocalHarnessRunner()
    assert isinstance(runner, HarnessRunner)
    assert runner.name == "local"


async def test_reference_answers_from_the_server_score_full_marks(model_server: ModelServer):
    result = await run_one(model_server, "openai/local-model")
    items = get_harness(0).items
    meta = result.metadata
    assert result.scores.normalized == pytest.approx(1.0)
    assert result.scores.raw == pytest.approx(len(items))
    assert [o.item_id for o in meta.items] == [i.id for i in items]
    assert meta.error is None and meta.attempts == len(items)
    assert meta.tokens_in > 0 and meta.tokens_out > 0
    assert meta.cost_source == "estimated" and meta.simulated is False
    assert meta.runner == "local" and meta.run_id and meta.unit_key
    assert meta.catalog_hash == load_catalog().hash
    HarnessResult.model_validate(result.model_dump())


async def test_provider_reported_cost_is_the_actual_cost(model_server: ModelServer):
    model_server.script("meta-llama/llama-3.2-1b-instruct", ModelScript(cost_usd=0.001))
    result = await run_one(model_server, OPENROUTER_MODEL)
    meta = result.metadata
    assert meta.cost_source == "provider"
    assert meta.cost_usd == pytest.approx(0.001 * len(meta.items))
    assert 0 < meta.cost_estimated_usd < meta.cost_usd  # catalog prices are far lower


async def test_without_reported_cost_the_catalog_prices_it(model_server: ModelServer):
    result = await run_one(model_server, OPENROUTER_MODEL)
    meta = result.metadata
    assert meta.cost_source == "estimated"
    assert meta.cost_usd == pytest.approx(meta.cost_estimated_usd)
    assert meta.cost_usd > 0


async def test_provider_limit_bounds_calls_in_flight_and_queueing_is_recorded():
    with ModelServer(latency_s=0.1) as server:
        runner = LocalHarnessRunner(server_settings(server), limits={"openai": 3})
        try:
            results = await runner.run_batch(0, ["openai/a", "openai/b", "openai/c"], FAST)
        finally:
            await runner.aclose()
        total = server.total_stats()
    assert total.requests == 18
    assert total.max_in_flight == 3
    assert max(r.metadata.queue_depth for r in results) > 0
    assert sum(r.metadata.wait_s for r in results) > 0.1
    assert [r.model for r in results] == ["openai/a", "openai/b", "openai/c"]
    assert len({r.metadata.run_id for r in results}) == 1  # one batch, one run id
    assert len({r.metadata.unit_key for r in results}) == 3


async def test_context_fills_the_swarm_metadata_and_aggregator_sees_votes(
    model_server: ModelServer,
):
    seen: list[str] = []

    def record(request: AnswerRequest) -> str:
        seen.append(request.user_text)
        return "x"

    model_server.script("agg", ModelScript(answer=record))
    item = get_harness(0).items[0]
    context = AgentContext(
        run_id="run-1",
        unit_key="run-1/s1/a0/h0",
        pattern=":10",
        stage=1,
        agent=0,
        role="aggregator",
        upstream=["run-1/s0/a0/h0", "run-1/s0/a1/h0"],
        upstream_answers={item.id: ["Paris", "Paris", "Lyon"]},
    )
    options = FAST.model_copy(update={"context": context})
    result = await run_one(model_server, "openai/agg", options)
    meta = result.metadata
    assert (meta.run_id, meta.unit_key, meta.pattern, meta.stage, meta.role) == (
        "run-1",
        "run-1/s1/a0/h0",
        ":10",
        1,
        "aggregator",
    )
    assert meta.upstream == ["run-1/s0/a0/h0", "run-1/s0/a1/h0"]
    aggregated = [text for text in seen if "Lyon" in text]
    assert len(aggregated) == 1
    assert "(2 votes)" in aggregated[0] and "(1 vote)" in aggregated[0]


async def test_demo_tier_batch_gives_eight_validated_simulated_results():
    models = load_catalog().tier("demo")
    runner = LocalHarnessRunner()
    try:
        results = await runner.run_batch(0, models, HarnessRunnerOptions(timeout_s=30))
        again = await runner.run_batch(0, models, HarnessRunnerOptions(timeout_s=30))
    finally:
        await runner.aclose()
    assert [r.model for r in results] == models
    for result in results:
        HarnessResult.model_validate(result.model_dump())
        assert result.simulated and result.metadata.cost_source == "simulated"
        assert result.metadata.error is None
    assert [r.scores for r in results] == [r.scores for r in again]  # deterministic
    assert results[0].scores.normalized > results[-1].scores.normalized  # skill shows


async def test_mockllm_aggregator_takes_the_majority_of_upstream_answers():
    harness = get_harness(0)
    item = harness.items[0]
    upstream = {item.id: [item.near_miss, item.reference, item.reference]}
    context = AgentContext(
        run_id="r", unit_key="r/s1/a0/h0", role="aggregator", upstream_answers=upstream
    )
    runner = LocalHarnessRunner()
    try:
        result = await runner.run(0, "mockllm/harbor", FAST.model_copy(update={"context": context}))
    finally:
        await runner.aclose()
    assert result.metadata.items[0].answer == item.reference.strip()


def test_a_runner_can_be_reused_from_a_new_event_loop(model_server: ModelServer):
    import asyncio

    runner = LocalHarnessRunner(server_settings(model_server))
    first = asyncio.run(runner.run(0, "openai/m", FAST))
    second = asyncio.run(runner.run(0, "openai/m", FAST))
    asyncio.run(runner.aclose())
    assert not first.failed and not second.failed


async def test_item_limit_runs_only_the_first_items_and_scores_over_them(
    model_server: ModelServer,
):
    options = FAST.model_copy(update={"item_limit": 1})
    result = await run_one(model_server, "openai/local-model", options)
    first = get_harness(0).items[0]
    assert [o.item_id for o in result.metadata.items] == [first.id]
    assert result.scores.raw == pytest.approx(1.0)
    assert result.scores.normalized == pytest.approx(1.0)
    assert model_server.stats("local-model").requests == 1
