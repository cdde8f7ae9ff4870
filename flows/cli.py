"""Entry point of ``map-elite``: the core commands plus those of the upper layers.

`build_app` composes `mapelite.cli.app` (verify, cost-estimate, ...), `runners.cli.register`,
`profiles.cli.register`, `flows.report.register` and the flow commands below (swarm, batch,
eval). Each flow command validates its input, checks provider keys, prints the run id and the
cost estimate, applies the cost gate, and only then starts the flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from mapelite.cli import (
    Terminated,
    app,
    arm_exit_watchdog,
    install_sigterm_handler,
    make_console,
    note_run_started,
    run_app,
)
from mapelite.errors import BudgetExceededError, InvalidInputError, MapEliteError

if TYPE_CHECKING:
    from mapelite.cost import CostEstimate
    from mapelite.settings import Settings

T = TypeVar("T")
console = make_console()

RUNNER_HELP = "where harness runs execute: local | temporal | nats"
BUDGET_HELP = "hard stop: no new harness runs once this run's actual spend reaches USD"

# Options the flow commands share (typer reads them as metadata; sharing them is safe).
HARNESS_OPTION = typer.Option("all", "--harness", "-H", help="harness id, name, list or 'all'")
RUNNER_OPTION = typer.Option("local", "--runner", "-r", help=RUNNER_HELP)
RUN_ID_OPTION = typer.Option(None, "--run-id", help="resume this run id (printed at start)")
YES_OPTION = typer.Option(False, "--yes", "-y", help="accept an estimate above MAPELITE_WARN_USD")
BUDGET_OPTION = typer.Option(None, "--budget", min=0, help=BUDGET_HELP)


def cost_gate(estimated_usd: float, warn_usd: float, yes: bool) -> None:
    """Above ``warn_usd`` a run needs ``--yes``; on a terminal the user may confirm instead."""
    if yes or estimated_usd <= warn_usd:
        return
    message = (
        f"estimated cost ${estimated_usd:.4f} is above MAPELITE_WARN_USD ${warn_usd:.2f}; "
        "re-run with --yes to accept it"
    )
    if sys.stdin.isatty() and sys.stdout.isatty():
        if typer.confirm(f"estimated cost ${estimated_usd:.4f}; run it?", default=False):
            return
        raise MapEliteError("not confirmed; nothing was run", exit_code=1)
    raise MapEliteError(message, exit_code=1)


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
    from flows.progress import for_console, use_progress

    _quiet_prefect_run_logs()
    use_progress(for_console(console))
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


async def _start_run(
    runner: str,
    models: list[str],
    estimate: CostEstimate,
    run_id: str | None,
    yes: bool,
    settings: Settings,
) -> str:
    """Everything a run checks before its first call: the runner's server, provider keys, the
    cost gate. Prints the run id (to resume with) and the estimate; returns the run id."""
    from flows.common import new_run_id, preflight_providers
    from flows.summary import print_estimate

    _check_runner(runner)
    await preflight_providers(models, settings)
    run_id = run_id or new_run_id()
    note_run_started(run_id)  # an interrupted run prints how to resume it
    console.print(f"run id {run_id}", markup=False, highlight=False)
    print_estimate(estimate, console)
    cost_gate(estimate.estimated_cost, settings.warn_usd, yes)
    return run_id


def _run_async(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` that stops cleanly on SIGTERM and then raises the CLI's `Terminated`.

    During a flow run Prefect raises its `TerminationSignal` wherever the main thread is, and
    asyncio can swallow it there (inside a callback or a gathered task). The loop's own signal
    handler still sees the signal (through its wakeup fd) and cancels the main task, as
    asyncio does for Ctrl-C."""
    from prefect.exceptions import TerminationSignal

    terminated = False

    async def stoppable() -> None:
        main_task = asyncio.current_task()

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            arm_exit_watchdog()
            if main_task is not None:
                main_task.cancel()

        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, on_sigterm)
        await main

    try:
        asyncio.run(stoppable())
    except TerminationSignal as exc:
        raise Terminated from exc
    except BaseException:
        if terminated:
            raise Terminated from None
        raise
    finally:
        install_sigterm_handler()  # closing the loop left SIGTERM at its default


def _stop_if_over_budget(stopped_reason: str | None) -> None:
    if stopped_reason:
        raise BudgetExceededError(stopped_reason)


async def _swarm(
    pattern: str,
    tier: str,
    harness: str,
    lead: str | None,
    runner: str,
    run_id: str | None,
    yes: bool,
    budget: float | None,
) -> None:
    from flows.summary import print_swarm_summary
    from flows.swarm import resolve_swarm, swarm_flow
    from mapelite.catalog import load_catalog
    from mapelite.settings import get_settings
    from mapelite.swarm import SwarmResult

    settings = get_settings()
    if lead is not None:
        load_catalog().get(lead)
    request = resolve_swarm(pattern, tier, harness, lead, settings)
    run_id = await _start_run(runner, request.agent_models, request.estimate, run_id, yes, settings)
    result = await _run_flow(
        lambda: swarm_flow(
            pattern,
            tier,
            harness=harness,
            lead=lead,
            runner=runner,
            run_id=run_id,
            budget_usd=budget,
            return_state=True,
        ),
        SwarmResult,
    )
    print_swarm_summary(result, console)
    _stop_if_over_budget(result.stopped_reason)


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
    _run_async(_swarm(pattern, tier, harness, lead, runner, run_id, yes, budget))


async def _batch(
    tier: str,
    harness: str,
    runs: int,
    runner: str,
    run_id: str | None,
    yes: bool,
    budget: float | None,
) -> None:
    from flows.batch import batch_flow, resolve_batch
    from flows.summary import print_batch_summary
    from mapelite.settings import get_settings
    from mapelite.swarm import BatchResult

    settings = get_settings()
    request = resolve_batch(tier, harness, runs, settings)
    run_id = await _start_run(runner, request.models, request.estimate, run_id, yes, settings)
    result = await _run_flow(
        lambda: batch_flow(
            tier,
            harness=harness,
            runs=runs,
            runner=runner,
            run_id=run_id,
            budget_usd=budget,
            return_state=True,
        ),
        BatchResult,
    )
    print_batch_summary(result, console)
    _stop_if_over_budget(result.stopped_reason)


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
    _run_async(_batch(tier, harness, runs, runner, run_id, yes, budget))


async def _eval(
    model: str, harness: str, runner: str, run_id: str | None, yes: bool, budget: float | None
) -> None:
    from flows.eval import eval_flow
    from flows.summary import print_eval_summary
    from mapelite.catalog import load_catalog
    from mapelite.cost import estimate_batch
    from mapelite.harnesses import parse_harness_selection
    from mapelite.settings import get_settings
    from mapelite.swarm import EvalResult

    settings = get_settings()
    load_catalog().get(model)
    harness_ids = parse_harness_selection(harness)
    estimate = estimate_batch([model], harness_ids, 1, tier="-", warn_usd=settings.warn_usd)
    run_id = await _start_run(runner, [model], estimate, run_id, yes, settings)
    result = await _run_flow(
        lambda: eval_flow(
            model,
            harness=harness,
            runner=runner,
            run_id=run_id,
            budget_usd=budget,
            return_state=True,
        ),
        EvalResult,
    )
    print_eval_summary(result, console)
    _stop_if_over_budget(result.stopped_reason)


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
    _run_async(_eval(model, harness, runner, run_id, yes, budget))


def register(typer_app: typer.Typer) -> None:
    """Add the flow commands (swarm, batch, eval) to ``typer_app``."""
    typer_app.command("swarm")(swarm_command)
    typer_app.command("batch")(batch_command)
    typer_app.command("eval")(eval_command)


def build_app() -> typer.Typer:
    import flows.report
    import profiles.cli
    import runners.cli

    registered = {command.name for command in app.registered_commands}
    if "swarm" not in registered:
        runners.cli.register(app)
        profiles.cli.register(app)
        flows.report.register(app)
        register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_app(build_app(), argv))


def _single_command_main(command: Callable[..., None], argv: list[str] | None) -> None:
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command()(command)
    sys.exit(run_app(single, argv))


def swarm_main(argv: list[str] | None = None) -> None:
    """``python -m flows.swarm PATTERN --tier T ...``: the swarm command alone."""
    _single_command_main(swarm_command, argv)


def batch_main(argv: list[str] | None = None) -> None:
    """``python -m flows.batch TIER ...``: the batch command alone."""
    _single_command_main(batch_command, argv)


def eval_main(argv: list[str] | None = None) -> None:
    """``python -m flows.eval MODEL ...``: the eval command alone."""
    _single_command_main(eval_command, argv)


if __name__ == "__main__":
    main()
