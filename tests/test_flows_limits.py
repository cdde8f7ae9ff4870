"""Per-provider limits: a Prefect global limit holds across a whole flow."""

from __future__ import annotations

import pytest

from flows.eval import eval_flow
from mapelite.config.run_options import RunOptions
from mapelite.testing.scripts import ModelScript
from tests.flow_helpers import ledger_entries, use_model_server

pytestmark = pytest.mark.prefect


async def test_server_never_sees_more_calls_in_flight_than_the_prefect_limit(
    prefect_api, model_server, monkeypatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    model_server.script("*", ModelScript(latency_s=0.05))
    use_model_server(monkeypatch, model_server, global_limits=True)  # in-process limit stays 8
    async with get_client() as client:
        await client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name="openai", limit=2)
        )
    try:
        result = await eval_flow(
            "openai/limit-probe", harness="0,1", options=RunOptions(run_id="lim-1", bank="core")
        )
    finally:
        async with get_client() as client:
            await client.delete_global_concurrency_limit_by_name("openai")

    stats = model_server.stats("limit-probe")
    assert stats.requests == 12
    assert stats.max_in_flight <= 2
    assert len(ledger_entries()) == 2 and not result.failed


async def test_missing_provider_limits_are_created_with_the_settings_defaults(
    prefect_api, monkeypatch
) -> None:
    from prefect.client.orchestration import get_client

    from mapelite.config.settings import get_settings
    from tasks.limits import ensure_provider_limits

    monkeypatch.setenv("MAPELITE_PROVIDER_LIMITS", '{"ollama": 3}')
    get_settings.cache_clear()
    names = await ensure_provider_limits(["ollama", "mockllm"], get_settings())
    async with get_client() as client:
        created = await client.read_global_concurrency_limit_by_name("ollama")
        await client.delete_global_concurrency_limit_by_name("ollama")
    assert names == ["ollama"], "mockllm is simulated in-process and has no global limit"
    assert created.limit == 3


async def test_waiting_for_a_leased_slot_is_queue_wait_not_the_models_timeout(
    model_server, monkeypatch
) -> None:
    import asyncio

    from mapelite.schemas import HarnessRunnerOptions
    from tasks.limits import ProviderLeases, create_limited_runner

    model_server.script("*", ModelScript(latency_s=0.3))
    settings = use_model_server(monkeypatch, model_server, global_limits=True)
    leases = ProviderLeases(enabled=True)
    leases.slots["openai"] = asyncio.Semaphore(1)  # a stage's lease of one slot
    runner = create_limited_runner("local", settings, leases)
    # Six items queue behind one slot (~1.8 s) with a per-call timeout of 0.6 s: only the
    # model's own time may count against it.
    options = HarnessRunnerOptions(timeout_s=30, call_timeout_s=0.6, retries=0)
    try:
        result = await runner.run(0, "openai/lease-probe", options)
    finally:
        await runner.aclose()

    assert result.metadata.error is None, result.metadata.error
    assert model_server.stats("lease-probe").max_in_flight == 1
    assert result.metadata.wait_s > 1.0


async def test_one_quota_holds_across_concurrent_flow_runs(
    prefect_api, model_server, monkeypatch
) -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    model_server.script("*", ModelScript(latency_s=0.05))
    use_model_server(monkeypatch, model_server, global_limits=True)  # in-process limit stays 8
    async with get_client() as client:
        await client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name="openai", limit=2)
        )
    try:
        results = await asyncio.gather(
            eval_flow(
                "openai/quota-a", harness="0", options=RunOptions(run_id="quota-a", bank="core")
            ),
            eval_flow(
                "openai/quota-b", harness="0", options=RunOptions(run_id="quota-b", bank="core")
            ),
        )
    finally:
        async with get_client() as client:
            await client.delete_global_concurrency_limit_by_name("openai")

    assert not any(r.failed for r in results)
    assert model_server.stats("quota-a").requests == 6
    assert model_server.stats("quota-b").requests == 6
    assert model_server.total_stats().max_in_flight <= 2
