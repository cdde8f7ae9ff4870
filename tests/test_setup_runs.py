"""Setups through the flows against the model server as OpenRouter: a config tier of setups
and a config reasoning setting reach the runner and the ledger as distinct setups; a swarm's
agents keep their own settings; a run id resumed with another setting is refused."""

from __future__ import annotations

import pytest

from flows.batch import batch_flow
from flows.swarm import swarm_flow
from mapelite.config.run_options import RunOptions
from mapelite.errors import InvalidInputError
from mapelite.testing.scripts import ModelScript
from tests.flow_helpers import ledger_entries
from tests.test_real_models_batch import NANO, NANO_PRICES, SERVED_NANO, openrouter, server

pytestmark = pytest.mark.prefect
__all__ = ["openrouter", "server"]  # fixtures shared with the real-model batch tests

TIER = f"""
[models."{NANO}"]
reasoning = "minimal"
[tiers]
settings = ["{NANO}", "{NANO}@high"]
"""


def _options(run_id: str) -> RunOptions:
    return RunOptions(run_id=run_id, bank="core")  # the six curated items per harness


def _efforts(log: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(str(entry.fields["reasoning"]["effort"]) for entry in log)


async def test_a_config_tier_of_setups_runs_each_setting_and_records_it(
    prefect_api, server, openrouter
) -> None:
    openrouter(TIER)
    server.script(SERVED_NANO, ModelScript(reasons=True, prices_per_m=NANO_PRICES))
    result = await batch_flow("settings", harness="7", options=_options("setups-tier"))

    assert result.models == [f"{NANO}@minimal", f"{NANO}@high"]
    log = server.stats(SERVED_NANO).log
    assert _efforts(log) == ["high"] * 6 + ["minimal"] * 6  # the config's setting reached it
    entries = ledger_entries()
    assert sorted(e.setup for e in entries) == [f"{NANO}@high", f"{NANO}@minimal"]
    assert {row.model: row.units for row in result.per_model} == {
        f"{NANO}@minimal": 1,
        f"{NANO}@high": 1,
    }

    with pytest.raises(InvalidInputError, match=r"ran .*@minimal, this run plans .*@low"):
        await batch_flow(
            models=[f"{NANO}@low", f"{NANO}@high"], harness="7", options=_options("setups-tier")
        )


async def test_a_swarms_agents_keep_their_settings_and_the_lead_its_own(
    prefect_api, server, openrouter
) -> None:
    server.script(SERVED_NANO, ModelScript(reasons=True, prices_per_m=NANO_PRICES))
    result = await swarm_flow(
        ":10",
        models=[f"{NANO}@minimal", f"{NANO}@high"],
        lead=f"{NANO}@low",
        harness="7",
        options=_options("setups-swarm"),
    )
    entries = ledger_entries()
    workers = [e.setup for e in sorted(entries, key=lambda e: e.metadata.agent or 0)
               if e.metadata.stage == 0]  # fmt: skip
    assert workers == [f"{NANO}@minimal", f"{NANO}@high"] * 4
    assert [e.setup for e in entries if e.metadata.stage == 1] == [f"{NANO}@low"]
    assert result.lead == f"{NANO}@low"
    assert result.best_single_agent is not None
    assert result.best_single_agent.model in (f"{NANO}@minimal", f"{NANO}@high")
    assert _efforts(server.stats(SERVED_NANO).log).count("low") == 6  # the aggregator's items
