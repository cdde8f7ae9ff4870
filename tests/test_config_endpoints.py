"""A mapelite.toml with two endpoints (the model server on two ports, one per protocol), priced
models and a tier ``mine``: batch, swarm and eval reach both servers within each endpoint's own
limit, and profiles price the models from the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.batch import batch_flow
from flows.eval import eval_flow
from flows.swarm import swarm_flow
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import ModelScript
from profiles.rollup import build_report
from tests.flow_helpers import ledger_entries
from tests.support.config_files import LAB_KEY, two_endpoint_config

pytestmark = pytest.mark.prefect


@pytest.fixture
def two_servers() -> Iterator[tuple[ModelServer, ModelServer]]:
    with ModelServer(require_key=LAB_KEY) as lab, ModelServer() as gpu:
        for server in (lab, gpu):
            server.script("*", ModelScript(latency_s=0.05))
        yield lab, gpu


@pytest.fixture
def configured(
    two_servers: tuple[ModelServer, ModelServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[ModelServer, ModelServer]:
    lab, gpu = two_servers
    config = tmp_path / "mapelite.toml"
    config.write_text(two_endpoint_config(lab, gpu))
    monkeypatch.setenv("MAPELITE_CONFIG", str(config))
    monkeypatch.setenv("LAB_API_KEY", LAB_KEY)
    monkeypatch.setenv("MAPELITE_PREFECT_GLOBAL_LIMITS", "false")
    get_settings.cache_clear()
    return lab, gpu


async def test_a_batch_over_a_config_tier_reaches_both_endpoints_within_their_own_limits(
    prefect_api, configured
) -> None:
    lab, gpu = configured
    result = await batch_flow(
        "mine", harness="0,7", options=RunOptions(run_id="cfg-batch", bank="core")
    )

    assert result.completed == 4 and result.failed == 0, result
    assert lab.total_stats().requests > 0 and gpu.total_stats().requests > 0
    assert set(lab._stats) == {"x"} and set(gpu._stats) == {"y"}
    assert lab.total_stats().max_in_flight == 2
    assert gpu.total_stats().max_in_flight == 3
    assert result.cost.actual_usd > 0  # configured prices, not 0


async def test_a_swarm_over_mine_uses_both_endpoints_each_within_its_limit(
    prefect_api, configured
) -> None:
    lab, gpu = configured
    result = await swarm_flow(
        ":10", tier="mine", harness="0", options=RunOptions(run_id="cfg-swarm", bank="core")
    )

    assert result.tier == "mine" and result.complete and result.models_left_out == []
    entries = ledger_entries()
    assert {e.model for e in entries} == {"lab/x", "gpu/y"} and len(entries) == 9
    assert all(e.metadata.error is None for e in entries)
    assert lab.total_stats().max_in_flight == 2
    assert gpu.total_stats().max_in_flight == 3


async def test_eval_and_the_profile_price_a_model_from_the_config_file(
    prefect_api, configured
) -> None:
    lab, gpu = configured
    await eval_flow(
        "lab/x", options=RunOptions(run_id="cfg-eval", bank="core")
    )  # all 8 harnesses: a fitness needs them all
    assert lab.total_stats().requests > 0 and gpu.total_stats().requests == 0
    await batch_flow(
        models=["gpu/y"], harness="0,7", options=RunOptions(run_id="cfg-gpu", bank="core")
    )
    assert gpu.total_stats().requests > 0

    report = build_report(get_settings().ledger)
    profiles = {p.model: p for p in report.models}
    lab_profile, gpu_profile = profiles["lab/x"], profiles["gpu/y"]
    assert lab_profile.price_per_m_usd == pytest.approx(0.20)
    assert gpu_profile.price_per_m_usd == pytest.approx(0.04)
    assert lab_profile.fitness is not None
    assert lab_profile.score_per_dollar == pytest.approx(lab_profile.fitness.value / 0.20, abs=1e-3)
    entry = next(e for e in ledger_entries() if e.model == "lab/x")
    expected = (entry.metadata.tokens_in * 0.10 + entry.metadata.tokens_out * 0.30) / 1e6
    assert entry.metadata.cost_usd == pytest.approx(expected, rel=1e-6)
    assert LAB_KEY not in get_settings().ledger.read_text()


async def test_one_model_given_with_models_is_a_self_moa_swarm(prefect_api, configured) -> None:
    lab, gpu = configured
    result = await swarm_flow(
        ":10", models=["gpu/y"], harness="0", options=RunOptions(run_id="cfg-moa", bank="core")
    )

    assert result.tier == "models" and result.lead == "gpu/y"
    assert {e.model for e in ledger_entries()} == {"gpu/y"} and len(ledger_entries()) == 9
    assert lab.total_stats().requests == 0 and gpu.total_stats().requests > 0


async def test_a_swarm_result_names_the_models_its_pattern_leaves_out(prefect_api) -> None:
    models = ["mockllm/atlas", "mockllm/birch", "mockllm/cedar"]
    result = await swarm_flow(
        ":0", models=models, harness="7", options=RunOptions(run_id="cfg-left-out")
    )

    assert result.models_left_out == ["mockllm/birch", "mockllm/cedar"]
    assert {e.model for e in ledger_entries()} == {"mockllm/atlas"}
