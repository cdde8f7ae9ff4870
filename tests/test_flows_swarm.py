"""The swarm flow against a real Prefect API and the local model server / simulated models."""

from __future__ import annotations

from collections import Counter

import pytest

from flows.swarm import swarm_flow
from mapelite.catalog.models import load_catalog
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.schemas import split_model_id
from mapelite.swarm.plan import unit_key
from tests.flow_helpers import ledger_entries, use_model_server

pytestmark = pytest.mark.prefect


async def test_scatter_gather_on_the_model_server_writes_eight_workers_then_the_aggregator(
    prefect_api, model_server, monkeypatch
) -> None:
    use_model_server(monkeypatch, model_server)
    tier = load_catalog().tier("tier1")
    result = await swarm_flow(
        ":10", "tier1", harness="0", options=RunOptions(run_id="sg-1", bank="core")
    )

    entries = ledger_entries()
    assert [e.metadata.stage for e in entries] == [0] * 8 + [1]
    assert {e.metadata.role for e in entries[:8]} == {"worker"}
    assert sorted((e.metadata.agent, e.model) for e in entries[:8]) == list(enumerate(tier[:8]))
    aggregator = entries[8]
    assert (aggregator.metadata.role, aggregator.model) == ("aggregator", tier[0])
    assert aggregator.metadata.upstream == [unit_key("sg-1", 0, i, 0) for i in range(8)]
    assert Ledger(get_settings().ledger).verify().valid
    items = len(get_harness(0).items)
    assert model_server.total_stats().requests == 9 * items
    assert result.swarm_score == pytest.approx(aggregator.scores.normalized)
    assert result.stages[0].completed == 8 and result.complete and not result.simulated
    assert {e.metadata.engine_id.get("prefect_task_run") is not None for e in entries} == {True}
    # The swarm's verdicts, paired on its items; one best-single definition for both outputs.
    assert result.verdicts is not None
    assert [v.baseline for v in result.verdicts.verdicts] == [
        "mean first-stage agent", "best single member", "majority vote",
    ]  # fmt: skip
    assert {v.n for v in result.verdicts.verdicts} == {items}
    member, best = result.verdicts.best_single_member, result.best_single_agent
    assert member is not None and best is not None
    assert (best.model, best.score) == (member.model, member.score)


@pytest.mark.parametrize(
    ("pattern", "widths", "roles"),
    [
        (":01", [1, 8], ["worker", "consumer"]),
        (":1010", [8, 1, 8, 1], ["worker", "aggregator", "consumer", "aggregator"]),
        (":20", [64, 1], ["worker", "aggregator"]),
    ],
)
async def test_patterns_write_each_stage_in_order_with_roles_and_models(
    prefect_api, pattern, widths, roles
) -> None:
    demo = load_catalog().tier("demo")
    result = await swarm_flow(
        pattern, "demo", harness="0", options=RunOptions(run_id=f"p{pattern}")
    )

    entries = ledger_entries()
    stages = [e.metadata.stage for e in entries]
    assert stages == sorted(stages), "a stage's entries come after the previous stage's"
    assert [Counter(stages)[i] for i in range(len(widths))] == widths
    for entry in entries:
        stage = entry.metadata.stage
        assert stage is not None and entry.metadata.agent is not None
        assert entry.metadata.role == roles[stage]
        expected = demo[0] if widths[stage] == 1 else demo[entry.metadata.agent % len(demo)]
        assert entry.model == expected
        assert entry.metadata.pattern == pattern and entry.simulated
    assert Ledger(get_settings().ledger).verify().valid
    assert result.simulated and [s.role for s in result.stages] == roles
    assert result.coordination_gain is not None


async def test_budget_stops_new_units_and_keeps_partial_results(
    prefect_api, model_server, monkeypatch
) -> None:
    from mapelite.testing.scripts import ModelScript

    model_server.script("*", ModelScript(cost_usd=0.01))
    monkeypatch.setenv("MAPELITE_PROVIDER_LIMITS", '{"openrouter": 1}')
    use_model_server(monkeypatch, model_server)
    result = await swarm_flow(
        ":10", "tier1", harness="0", options=RunOptions(run_id="b-1", budget_usd=0.02, bank="core")
    )

    entries = ledger_entries()
    assert 1 <= len(entries) < 9
    assert not result.complete
    assert result.stopped_reason is not None and "budget" in result.stopped_reason
    assert result.cost.actual_usd >= 0.02
    assert Ledger(get_settings().ledger).verify().valid
    assert split_model_id(entries[0].model)[0] == "openrouter"
