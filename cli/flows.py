"""The flow commands: swarm, batch, eval.

Each validates its input, checks the runner's server and the provider keys, prints the run id
and the cost estimate, passes the cost gate, and only then starts the flow. ``python -m
flows.swarm|batch|eval`` run the same commands alone (`swarm_main`, `batch_main`, `eval_main`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import typer

import flows  # noqa: F401  (prepares Prefect's environment before anything imports Prefect)
from cli.app import add_command, note_run_started, run_async, single_command_main
from cli.options import (
    BUDGET_OPTION,
    HARNESS_OPTION,
    RUN_ID_OPTION,
    RUNNER_OPTION,
    YES_OPTION,
    cost_gate,
)
from cli.output import make_console, print_estimate, progress_for, say
from mapelite.errors import BudgetExceededError, InvalidInputError

if TYPE_CHECKING:
    from rich.console import Console

    from mapelite.cost import CostEstimate
    from mapelite.settings import Settings
    from mapelite.swarm import RunOutcome

T = TypeVar("T")
R = TypeVar("R", bound="RunOutcome")
console = make_console()


def _start_local_api() -> None:
    """Started first, so Prefect's local server starts while the command imports and estimates
    (a cold command otherwise waits for its whole start after the estimate)."""
    from flows.embedded import use_local_api

    use_local_api()


def _check_runner(name: str) -> None:
    from mapelite.settings import get_settings
    from runners import RUNNER_NAMES, check_reachable

    if name not in RUNNER_NAMES:
        raise InvalidInputError(f"unknown runner {name!r}; choose one of {', '.join(RUNNER_NAMES)}")
    check_reachable(name, get_settings())


def _quiet_prefect_run_logs() -> None:
    """Flow and task failures reach the user through our own one-line errors (or a traceback
    for a bug), so Prefect's duplicate error logs are hidden unless the user chose a level."""
    from flows.embedded import USER_CHOSE_LOG_LEVEL

    if USER_CHOSE_LOG_LEVEL:
        return
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.engine"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


async def _run_flow(flow_call: Callable[[], Awaitable[Any]], result_type: type[T]) -> T:
    """Run a flow with progress output; in embedded mode keep its task history before exit."""
    from flows.common import task_runs_started
    from flows.embedded import settle_history
    from flows.progress import use_progress

    _quiet_prefect_run_logs()
    use_progress(progress_for(console))
    before = task_runs_started()
    state = await flow_call()
    missing = await settle_history(
        str(state.state_details.flow_run_id), task_runs_started() - before
    )
    if missing:
        console.print(
            f"note: {missing} task runs are not in the Prefect history yet "
            "(the ledger has every result)",
            markup=False,
        )
    result = await state.aresult()
    assert isinstance(result, result_type)
    return result


@dataclass(frozen=True)
class RunChoices:
    """What the user chose for a run, whatever the flow: where it runs, its id, the budget."""

    runner: str
    run_id: str | None
    yes: bool
    budget: float | None

    def flow_arguments(self, run_id: str) -> dict[str, Any]:
        """The flow parameters these choices set, for a run already given its id."""
        return {
            "runner": self.runner,
            "run_id": run_id,
            "budget_usd": self.budget,
            "return_state": True,
        }


async def _start_run(
    choices: RunChoices, models: list[str], estimate: CostEstimate, settings: Settings
) -> str:
    """Everything a run checks before its first call: the runner's server, provider keys, the
    cost gate. Prints the run id (to resume with) and the estimate; returns the run id."""
    from flows.common import preflight_providers
    from mapelite.runid import new_run_id

    _check_runner(choices.runner)
    await preflight_providers(models, settings)
    run_id = choices.run_id or new_run_id()
    note_run_started(run_id)  # an interrupted run prints how to resume it
    say(console, f"run id {run_id}")
    print_estimate(estimate, console)
    cost_gate(estimate, choices.yes)
    return run_id


async def _run(
    choices: RunChoices,
    models: list[str],
    estimate: CostEstimate,
    start_flow: Callable[[dict[str, Any]], Awaitable[Any]],
    result_type: type[R],
    print_summary: Callable[[R, Console], None],
) -> None:
    """Start the run (checks, estimate, cost gate), run its flow with ``start_flow(arguments)``,
    print its summary; a run the budget stopped ends with the budget's exit code."""
    from mapelite.settings import get_settings

    run_id = await _start_run(choices, models, estimate, get_settings())
    result = await _run_flow(lambda: start_flow(choices.flow_arguments(run_id)), result_type)
    print_summary(result, console)
    if result.stopped_reason:
        raise BudgetExceededError(result.stopped_reason)


async def _swarm(
    pattern: str, tier: str, harness: str, lead: str | None, choices: RunChoices
) -> None:
    from cli.summaries import print_swarm_summary
    from flows.swarm import resolve_swarm, swarm_flow
    from mapelite.catalog import load_catalog
    from mapelite.settings import get_settings
    from mapelite.swarm import SwarmResult

    if lead is not None:
        load_catalog().get(lead)
    request = resolve_swarm(pattern, tier, harness, lead, get_settings())
    await _run(
        choices,
        request.agent_models,
        request.estimate,
        lambda chosen: swarm_flow(pattern, tier, harness=harness, lead=lead, **chosen),
        SwarmResult,
        print_swarm_summary,
    )


def swarm_command(
    pattern: str = typer.Argument(
        ..., help="swarm pattern: ':' then digits, e.g. :10 :01 :1010 :20"
    ),
    tier: str = typer.Option(..., "--tier", "-t", help="model tier: tier1 tier2 tier3 best8 demo"),
    harness: str = HARNESS_OPTION,
    lead: str | None = typer.Option(
        None, "--lead", help="model of width-1 stages (default: the tier's first)"
    ),
    runner: str = RUNNER_OPTION,
    run_id: str | None = RUN_ID_OPTION,
    yes: bool = YES_OPTION,
    budget: float | None = BUDGET_OPTION,
) -> None:
    """Run a swarm pattern over a tier, stage by stage; every agent's result is in the ledger.

    Agent i of a stage uses model i of the tier (cycling); width-1 stages use the lead. Re-run
    with --run-id to resume an interrupted run without paying twice.

    Example: map-elite swarm :10 --tier demo --harness all --yes
    """
    _start_local_api()
    run_async(_swarm(pattern, tier, harness, lead, RunChoices(runner, run_id, yes, budget)))


async def _batch(tier: str, harness: str, runs: int, choices: RunChoices) -> None:
    from cli.summaries import print_batch_summary
    from flows.batch import batch_flow, resolve_batch
    from mapelite.settings import get_settings
    from mapelite.swarm import BatchResult

    request = resolve_batch(tier, harness, runs, get_settings())
    await _run(
        choices,
        request.models,
        request.estimate,
        lambda chosen: batch_flow(tier, harness=harness, runs=runs, **chosen),
        BatchResult,
        print_batch_summary,
    )


def batch_command(
    tier: str = typer.Argument(..., help="model tier: tier1 tier2 tier3 best8 demo"),
    harness: str = HARNESS_OPTION,
    runs: int = typer.Option(
        1, "--runs", "-n", min=1, help="repeats per model and harness (8, 64, 512...)"
    ),
    runner: str = RUNNER_OPTION,
    run_id: str | None = RUN_ID_OPTION,
    yes: bool = YES_OPTION,
    budget: float | None = BUDGET_OPTION,
) -> None:
    """Run every model of a tier on a harness (or all), --runs times each.

    Example: map-elite batch demo --harness 7 --runs 8 --yes
    """
    _start_local_api()
    run_async(_batch(tier, harness, runs, RunChoices(runner, run_id, yes, budget)))


async def _eval(model: str, harness: str, choices: RunChoices) -> None:
    from cli.summaries import print_eval_summary
    from flows.eval import eval_flow
    from mapelite.catalog import load_catalog
    from mapelite.cost import estimate_batch
    from mapelite.harnesses import parse_harness_selection
    from mapelite.settings import get_settings
    from mapelite.swarm import EvalResult

    load_catalog().get(model)
    harness_ids = parse_harness_selection(harness)
    estimate = estimate_batch([model], harness_ids, 1, tier="-", warn_usd=get_settings().warn_usd)
    await _run(
        choices,
        [model],
        estimate,
        lambda chosen: eval_flow(model, harness=harness, **chosen),
        EvalResult,
        print_eval_summary,
    )


def eval_command(
    model: str = typer.Argument(..., help="model id with provider prefix, e.g. mockllm/atlas"),
    harness: str = HARNESS_OPTION,
    runner: str = RUNNER_OPTION,
    run_id: str | None = RUN_ID_OPTION,
    yes: bool = YES_OPTION,
    budget: float | None = BUDGET_OPTION,
) -> None:
    """Evaluate one model on the 8 harnesses in order and print its fitness.

    Example: map-elite eval openrouter/openai/gpt-5-nano --yes
    """
    _start_local_api()
    run_async(_eval(model, harness, RunChoices(runner, run_id, yes, budget)))


def register(app: typer.Typer) -> None:
    """Add the flow commands (swarm, batch, eval) to ``app``."""
    add_command(app, "swarm", swarm_command)
    add_command(app, "batch", batch_command)
    add_command(app, "eval", eval_command)


def swarm_main(argv: list[str] | None = None) -> None:
    """``python -m flows.swarm PATTERN --tier T ...``: the swarm command alone."""
    single_command_main(swarm_command, argv)


def batch_main(argv: list[str] | None = None) -> None:
    """``python -m flows.batch TIER ...``: the batch command alone."""
    single_command_main(batch_command, argv)


def eval_main(argv: list[str] | None = None) -> None:
    """``python -m flows.eval MODEL ...``: the eval command alone."""
    single_command_main(eval_command, argv)
