"""Runs keep their promises: the budget is a hard stop, an unwritable ledger costs nothing, a
reused run id never passes off another run's results, the embedded default stays quiet, and
unknown simulated models are refused."""

from __future__ import annotations

import asyncio
import io
import subprocess

import pytest
from rich.console import Console

from cli.summaries import print_batch_summary
from flows.batch import batch_flow
from flows.eval import eval_flow
from flows.swarm import swarm_flow
from mapelite.catalog.models import load_catalog
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.errors import InvalidInputError, LedgerError
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.schemas import AgentContext, HarnessRunnerOptions
from runners.base import UnitRequest
from tasks.budget import Budget, UnitCost, unit_cost
from tests.flow_helpers import PYTHON, ledger_entries, map_elite, one_error_line, subprocess_env
from tests.support.model_server_fixtures import TEST_KEY

pytestmark = pytest.mark.prefect


def server_env(model_server) -> dict[str, str]:
    return {
        "MAPELITE_OPENROUTER_BASE_URL": model_server.base_url,
        "MAPELITE_OPENROUTER_API_KEY": TEST_KEY,
        "MAPELITE_PREFECT_GLOBAL_LIMITS": "false",
    }


def run_spend(run_id: str) -> float:
    return sum(e.metadata.cost_usd for e in ledger_entries() if e.metadata.run_id == run_id)


# -- 1. the budget is a hard stop ---------------------------------------------------------------


def test_budget_zero_starts_nothing_says_so_and_exits_3(prefect_api, model_server) -> None:
    done = map_elite(
        "swarm", ":10", "--tier", "tier1", "--harness", "0", "--budget", "0", "--yes",
        prefect_api=prefect_api, **server_env(model_server),
    )  # fmt: skip

    assert done.returncode == 3, done.stdout + done.stderr
    assert model_server.total_stats().requests == 0
    assert not get_settings().ledger.exists() or not ledger_entries()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no harness run was started" in lines[0], done.stderr
    assert "budget $0.00" in done.stdout and "stopped:" in done.stdout


async def test_spend_never_passes_the_budget_with_many_units_in_flight(
    prefect_api, monkeypatch
) -> None:
    # Simulated latency keeps up to 64 units (the default mockllm limit) in flight at once:
    # before the reservation, all of them started before any cost arrived.
    monkeypatch.setenv("MAPELITE_MOCKLLM_LATENCY_S", "0.05")
    get_settings.cache_clear()
    budget = 0.001

    result = await batch_flow(
        "demo", harness="7", options=RunOptions(runs=8, run_id="cap", budget_usd=budget)
    )

    spent = run_spend("cap")
    assert 0 < spent <= budget, "mockllm never costs more than its reservation"
    assert result.cost.actual_usd == pytest.approx(spent)
    assert result.stopped_reason and "budget" in result.stopped_reason
    assert not result.complete and result.completed < result.units
    priciest = unit_cost(
        UnitRequest(harness_id=7, model="mockllm/atlas", options=HarnessRunnerOptions())
    )
    assert spent > budget - priciest.expected_usd, "stops only when the next unit cannot fit"
    console = Console(file=io.StringIO(), width=200)
    print_batch_summary(result, console, Ledger(get_settings().ledger).results_for_run("cap"))
    assert "budget $0.001" in console.file.getvalue()  # type: ignore[attr-defined]


async def test_a_resumed_run_already_over_its_budget_reports_the_stop(prefect_api) -> None:
    first = await batch_flow("demo", harness="7", options=RunOptions(runs=1, run_id="over"))
    assert first.complete and first.stopped_reason is None

    again = await batch_flow(
        "demo",
        harness="7",
        options=RunOptions(runs=1, run_id="over", budget_usd=first.cost.actual_usd / 2),
    )

    assert again.reused == again.units and len(ledger_entries()) == first.units
    assert again.stopped_reason and "budget reached" in again.stopped_reason


async def test_a_unit_that_does_not_fit_waits_for_units_in_flight_then_the_budget_stops() -> None:
    budget = Budget(limit_usd=1.0)
    cost = UnitCost(model="mockllm/atlas", expected_usd=0.6, worst_usd=2.0)
    first = await budget.reserve(cost)
    second = asyncio.create_task(budget.reserve(cost))
    await asyncio.sleep(0.01)
    assert first == 0.6 and not second.done(), "0.6 + 0.6 does not fit while the first runs"

    budget.settle(cost, 0.6, actual_usd=0.3)
    assert await second == 0.6 and budget.spent_usd == pytest.approx(0.3)
    third = asyncio.create_task(budget.reserve(cost))
    await asyncio.sleep(0.01)
    budget.settle(cost, 0.6, actual_usd=0.5)

    assert await third is None, "0.8 spent + 0.6 does not fit with nothing in flight"
    assert budget.stopped_reason and budget.skipped == 1
    assert await budget.reserve(UnitCost("mockllm/atlas", 0.01, 0.01)) is None, "stays stopped"


async def test_a_model_costing_more_than_expected_reserves_more_for_its_later_units() -> None:
    budget = Budget(limit_usd=10.0)
    cost = UnitCost(model="openrouter/x/y", expected_usd=0.1, worst_usd=0.5)
    reserved = await budget.reserve(cost)
    assert reserved is not None
    budget.settle(cost, reserved, actual_usd=0.3)

    assert budget.reservation(cost) == pytest.approx(0.3)
    assert budget.reservation(UnitCost("openrouter/x/y", 1.0, 2.0)) == 2.0, "capped: worst"
    assert budget.reservation(UnitCost("mockllm/atlas", 0.1, 0.5)) == 0.1, "per model"


def test_an_aggregators_reservation_counts_the_upstream_answers_it_reads() -> None:
    harness = get_harness(0)
    alone = AgentContext(run_id="r", unit_key="r/s1/a0/h0", role="aggregator")
    answers = {item.id: ["a long upstream answer " * 40] * 8 for item in harness.items}
    reading = alone.model_copy(update={"upstream_answers": answers})

    def cost(context: AgentContext) -> float:
        options = HarnessRunnerOptions(context=context)
        return unit_cost(
            UnitRequest(harness_id=0, model="mockllm/atlas", options=options)
        ).expected_usd

    assert cost(reading) > cost(alone) > 0


# -- 2. the ledger must be writable before the first call, and a failed append stops the run ----


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_an_unwritable_ledger_path_is_one_line_before_any_request(
    prefect_api, model_server, tmp_path, where
) -> None:
    blocker = tmp_path / "file.jsonl"
    blocker.write_text("")
    path = blocker / "l.jsonl" if where == "under-a-file" else "/proc/map-elite-test/l.jsonl"

    done = map_elite(
        "swarm", ":10", "--tier", "tier1", "--harness", "0", "--yes",
        prefect_api=prefect_api, MAPELITE_LEDGER_PATH=str(path), **server_env(model_server),
    )  # fmt: skip

    assert done.returncode == LedgerError.exit_code, done.stdout + done.stderr
    # Nothing before the line: no run id, no estimate (the check comes first).
    assert "cannot write the ledger" in one_error_line(done)
    assert model_server.total_stats().requests == 0 and model_server.check_requests() == 0


async def test_a_torn_ledger_stops_every_flow_before_its_first_call(
    prefect_api, model_server, monkeypatch
) -> None:
    from tests.flow_helpers import use_model_server

    use_model_server(monkeypatch, model_server)
    await batch_flow("demo", harness="0", options=RunOptions(runs=1, run_id="whole"))
    ledger = get_settings().ledger
    with ledger.open("ab") as handle:
        handle.write(b'{"prev_hash":"')  # a crash mid-write

    for start in (
        lambda: swarm_flow(
            ":10", "tier1", harness="0", options=RunOptions(run_id="t1", bank="core")
        ),
        lambda: batch_flow("tier1", harness="0", options=RunOptions(run_id="t2", bank="core")),
        lambda: eval_flow(
            "openrouter/openai/gpt-5-nano",
            harness="0",
            options=RunOptions(run_id="t3", bank="core"),
        ),
    ):
        with pytest.raises(LedgerError, match="torn line"):
            await start()
    assert model_server.total_stats().requests == 0


def test_an_append_failing_mid_run_stops_the_run_with_one_line(prefect_api) -> None:
    # The child may not grow any file past 24 KB: the ledger fills after a few entries, like a
    # full disk, while the run still has most of its 128 units to go.
    done = map_elite(
        "batch", "demo", "--harness", "all", "--runs", "2", "--yes", "--run-id", "full",
        prefect_api=prefect_api, file_size_limit=24_000,
    )  # fmt: skip

    assert done.returncode == LedgerError.exit_code, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not append to the ledger" in lines[0], done.stderr
    assert "re-run with the same --run-id" in lines[0] and "Traceback" not in done.stdout
    ledger = Ledger(get_settings().ledger)
    report = ledger.verify()
    # A failed append keeps nothing of itself (no partial line), so this may be 0 when the very
    # first batch of results was already past the limit.
    assert report.valid
    assert report.entries < 128 // 2, "the run stopped scheduling instead of paying for every unit"


# -- 3. a run id belongs to one run ------------------------------------------------------------


async def test_a_run_id_of_another_run_is_refused_before_any_call(prefect_api) -> None:
    await swarm_flow(":10", "demo", harness="0", options=RunOptions(run_id="R"))
    entries = len(ledger_entries())

    for other in (
        lambda: swarm_flow(
            ":0", "demo", harness="0", lead="mockllm/harbor", options=RunOptions(run_id="R")
        ),
        lambda: swarm_flow(
            ":10", "demo", harness="0", lead="mockllm/harbor", options=RunOptions(run_id="R")
        ),
        lambda: batch_flow("demo", harness="0", options=RunOptions(run_id="R")),
        lambda: eval_flow("mockllm/atlas", harness="0", options=RunOptions(run_id="R")),
    ):
        with pytest.raises(InvalidInputError, match="run id R was used for a different run"):
            await other()
    assert len(ledger_entries()) == entries

    again = await swarm_flow(":10", "demo", harness="0", options=RunOptions(run_id="R"))
    assert again.stages[0].reused == 8 and again.stages[1].reused == 1


async def test_batch_and_eval_run_ids_are_not_confused(prefect_api) -> None:
    await batch_flow("demo", harness="0", options=RunOptions(runs=2, run_id="B"))
    with pytest.raises(InvalidInputError, match="holds a batch"):
        await eval_flow("mockllm/atlas", harness="0", options=RunOptions(run_id="B"))

    await eval_flow("mockllm/harbor", harness="0", options=RunOptions(run_id="E"))
    with pytest.raises(InvalidInputError, match="ran mockllm/harbor, this run plans mockllm/atlas"):
        await batch_flow("demo", harness="0", options=RunOptions(run_id="E"))


def test_a_recorded_unit_is_reused_only_for_the_model_it_ran() -> None:
    from mapelite.schemas import HarnessResult, ResultMetadata, Scores
    from mapelite.swarm.plan import reusable

    done = HarnessResult(
        harness_id=0,
        harness_name="SENSE",
        model="mockllm/atlas",
        scores=Scores(raw=1, normalized=1),
        metadata=ResultMetadata(run_id="r", unit_key="r/s0/a0/h0"),
    )
    assert reusable(done, "mockllm/atlas") is done
    assert reusable(done, "mockllm/harbor") is None


# -- 4. the embedded default is quiet; 5. simulated models come from the catalog ----------------


def test_the_event_workers_drain_warning_is_not_printed() -> None:
    env = subprocess_env()
    env.pop("PREFECT_LOGGING_LEVEL", None)
    env.pop("PREFECT_API_URL", None)
    script = (
        "import flows, logging\n"
        "from prefect.logging.configuration import setup_logging\n"
        "setup_logging()\n"
        "logging.getLogger('EventsWorker').warning('Still processing items: 3 items remaining')\n"
        "logging.getLogger('EventsWorker').error('a real failure')\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert "Still processing items" not in done.stderr and "a real failure" in done.stderr


async def test_an_unknown_simulated_lead_is_refused_with_the_demo_models(prefect_api) -> None:
    with pytest.raises(InvalidInputError, match=r"mockllm/nonexistent.*mockllm/atlas"):
        await swarm_flow(":10", "demo", lead="mockllm/nonexistent")
    assert "mockllm/atlas" in load_catalog().tier("demo")
