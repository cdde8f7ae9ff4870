"""The flow commands: swarm, batch, eval.

Each validates its input, checks the runner's server and the provider keys, prints the run id
and the cost estimate, passes the cost gate, and only then starts the flow. ``python -m
flows.swarm|batch|eval`` run the same commands alone (`swarm_main`, `batch_main`, `eval_main`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import typer

import flows  # noqa: F401  (prepares Prefect's environment before anything imports Prefect)
from cli.app import add_command, note_run_started, run_async, single_command_main
from cli.options import (
    BUDGET_OPTION,
    HARNESS_OPTION,
    JSON_OPTION,
    MODELS_OPTION,
    RUN_ID_OPTION,
    RUNNER_OPTION,
    RUNS_OPTION,
    SEED_OPTION,
    SELECT_TIER_OPTION,
    TIER_HELP,
    YES_OPTION,
    cost_gate,
    run_defaults,
)
from cli.output import (
    make_console,
    print_estimate,
    print_json,
    progress_for,
    say,
    stdout_for_json,
)
from mapelite.errors import BudgetExceededError, InvalidInputError

if TYPE_CHECKING:
    from mapelite.cost import CostEstimate
    from mapelite.settings import Settings
    from mapelite.swarm import BatchResult, EvalResult, SwarmResult

T = TypeVar("T")
console = make_console()


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
    from flows.common import preflight_providers
    from mapelite.runid import new_run_id

    _check_runner(runner)
    await preflight_providers(models, settings)
    run_id = run_id or new_run_id()
    note_run_started(run_id)  # an interrupted run prints how to resume it
    say(console, f"run id {run_id}")
    print_estimate(estimate, console)
    cost_gate(estimate, yes)
    return run_id


def _stop_if_over_budget(stopped_reason: str | None) -> None:
    if stopped_reason:
        raise BudgetExceededError(stopped_reason)


def _run_ids(base: str, runs: int) -> list[str]:
    """One run id per repeat of a whole swarm or eval: ``base`` alone, or ``base.1`` ...
    ``base.N``, so ``--run-id base`` resumes every repeat."""
    return [base] if runs == 1 else [f"{base}.{repeat + 1}" for repeat in range(runs)]


def _print_results(results: list[Any], as_json: bool, print_table: Callable[[Any], None]) -> None:
    if as_json:
        data = [r.model_dump(mode="json") for r in results]
        print_json(data[0] if len(data) == 1 else data)
        return
    for result in results:
        print_table(result)


async def _swarm(
    pattern: str,
    tier: str | None,
    models: str | None,
    harness: str,
    lead: str | None,
    options: RunChoice,
) -> list[SwarmResult]:
    from flows.swarm import resolve_swarm, swarm_flow
    from mapelite.catalog import load_catalog
    from mapelite.cost import estimate_swarm
    from mapelite.settings import get_settings
    from mapelite.swarm import SwarmResult

    settings = get_settings()
    if lead is not None:
        load_catalog().get(lead)
    request = resolve_swarm(pattern, tier, harness, lead, settings, models=models)
    estimate = request.estimate
    if options.runs > 1:
        estimate = estimate_swarm(
            request.pattern,
            request.models,
            request.harness_ids,
            tier=request.tier,
            lead=request.lead,
            warn_usd=settings.warn_usd,
            runs=options.runs,
        )
    base = await _start_run(
        options.runner, request.agent_models, estimate, options.run_id, options.yes, settings
    )
    chosen = request.models if models is not None else None
    results = []
    for repeat, run_id in enumerate(_run_ids(base, options.runs)):
        result = await _run_flow(
            partial(
                swarm_flow,
                pattern,
                None if chosen is not None else tier,
                harness=harness,
                lead=lead,
                runner=options.runner,
                run_id=run_id,
                budget_usd=options.budget,
                models=chosen,
                seed=options.seed + repeat,
                return_state=True,
            ),
            SwarmResult,
        )
        results.append(result)
        if result.stopped_reason:
            break
    return results


def swarm_command(
    pattern: str = typer.Argument(
        ..., help="swarm pattern: ':' then digits, e.g. :10 :01 :1010 :20"
    ),
    tier: str | None = SELECT_TIER_OPTION,
    models: str | None = MODELS_OPTION,
    harness: str = HARNESS_OPTION,
    lead: str | None = typer.Option(
        None, "--lead", help="model of width-1 stages (default: the tier's first)"
    ),
    runs: int | None = RUNS_OPTION,
    seed: int | None = SEED_OPTION,
    runner: str = RUNNER_OPTION,
    run_id: str | None = RUN_ID_OPTION,
    yes: bool = YES_OPTION,
    budget: float | None = BUDGET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a swarm pattern over a tier (or --models), stage by stage; every agent's result is
    in the ledger.

    Agent i of a stage uses model i of the tier (cycling); width-1 stages use the lead. A tier
    wider than the widest stage is not spread over the stages: the models no agent uses are
    left out, and the run names them (cost-estimate too). One model with --models is a Self-MoA
    swarm: every agent is that model. --runs N runs the whole swarm N times (run ids RUN.1 ...
    RUN.N, seeds SEED ... SEED+N-1). Re-run with --run-id to resume an interrupted run without
    paying twice.

    Example: map-elite swarm :10 --tier demo --harness all --yes
    Example: map-elite swarm :10 --models ollama/llama3.2:1b --seed 7
    """
    from cli.summaries import print_swarm_summary

    choice = RunChoice.of(runs, seed, runner, run_id, yes, budget)
    with stdout_for_json(as_json):
        results = _gather(_swarm(pattern, tier, models, harness, lead, choice))
    _print_results(results, as_json, partial(print_swarm_summary, console=console))
    _stop_if_over_budget(results[-1].stopped_reason)


async def _batch(
    tier: str | None, models: str | None, harness: str, options: RunChoice
) -> BatchResult:
    from flows.batch import batch_flow, resolve_batch
    from mapelite.settings import get_settings
    from mapelite.swarm import BatchResult

    settings = get_settings()
    request = resolve_batch(tier, harness, options.runs, settings, models=models)
    run_id = await _start_run(
        options.runner, request.models, request.estimate, options.run_id, options.yes, settings
    )
    chosen = request.models if models is not None else None
    return await _run_flow(
        partial(
            batch_flow,
            None if chosen is not None else tier,
            harness=harness,
            runs=options.runs,
            runner=options.runner,
            run_id=run_id,
            budget_usd=options.budget,
            models=chosen,
            seed=options.seed,
            return_state=True,
        ),
        BatchResult,
    )


def batch_command(
    tier: str | None = typer.Argument(None, help=TIER_HELP),
    models: str | None = MODELS_OPTION,
    harness: str = HARNESS_OPTION,
    runs: int | None = RUNS_OPTION,
    seed: int | None = SEED_OPTION,
    runner: str = RUNNER_OPTION,
    run_id: str | None = RUN_ID_OPTION,
    yes: bool = YES_OPTION,
    budget: float | None = BUDGET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run every model of a tier (or of --models) on a harness (or all), --runs times each.

    Example: map-elite batch demo --harness 7 --runs 8 --yes
    Example: map-elite batch --models ollama/llama3.2:1b,mockllm/atlas --harness 0
    """
    from cli.summaries import print_batch_summary

    choice = RunChoice.of(runs, seed, runner, run_id, yes, budget)
    with stdout_for_json(as_json):
        result = _gather(_batch(tier, models, harness, choice))
    _print_results([result], as_json, partial(print_batch_summary, console=console))
    _stop_if_over_budget(result.stopped_reason)


async def _eval(model: str, harness: str, options: RunChoice) -> list[EvalResult]:
    from flows.eval import eval_flow
    from mapelite.catalog import load_catalog
    from mapelite.cost import estimate_batch
    from mapelite.harnesses import parse_harness_selection
    from mapelite.settings import get_settings
    from mapelite.swarm import EvalResult

    settings = get_settings()
    load_catalog().get(model)
    harness_ids = parse_harness_selection(harness)
    estimate = estimate_batch(
        [model], harness_ids, options.runs, tier="-", warn_usd=settings.warn_usd
    )
    base = await _start_run(
        options.runner, [model], estimate, options.run_id, options.yes, settings
    )
    results = []
    for repeat, run_id in enumerate(_run_ids(base, options.runs)):
        result = await _run_flow(
            partial(
                eval_flow,
                model,
                harness=harness,
                runner=options.runner,
                run_id=run_id,
                budget_usd=options.budget,
                seed=options.seed + repeat,
                return_state=True,
            ),
            EvalResult,
        )
        results.append(result)
        if result.stopped_reason:
            break
    return results


def eval_command(
    model: str = typer.Argument(
        ..., help="model id with provider or endpoint prefix, e.g. mockllm/atlas or lab/x"
    ),
    harness: str = HARNESS_OPTION,
    runs: int | None = RUNS_OPTION,
    seed: int | None = SEED_OPTION,
    runner: str = RUNNER_OPTION,
    run_id: str | None = RUN_ID_OPTION,
    yes: bool = YES_OPTION,
    budget: float | None = BUDGET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Evaluate one model on the 8 harnesses in order and print its fitness (--runs N: N
    evaluations, run ids RUN.1 ... RUN.N, seeds SEED ... SEED+N-1).

    Example: map-elite eval openrouter/openai/gpt-5-nano --yes
    """
    from cli.summaries import print_eval_summary

    choice = RunChoice.of(runs, seed, runner, run_id, yes, budget)
    with stdout_for_json(as_json):
        results = _gather(_eval(model, harness, choice))
    _print_results(results, as_json, partial(print_eval_summary, console=console))
    _stop_if_over_budget(results[-1].stopped_reason)


@dataclass(frozen=True)
class RunChoice:
    """The options every flow command shares, with the config file's defaults filled in."""

    runs: int
    seed: int
    runner: str
    run_id: str | None
    yes: bool
    budget: float | None

    @classmethod
    def of(
        cls,
        runs: int | None,
        seed: int | None,
        runner: str,
        run_id: str | None,
        yes: bool,
        budget: float | None,
    ) -> RunChoice:
        runs, seed = run_defaults(runs, seed)
        return cls(runs, seed, runner, run_id, yes, budget)


def _gather(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` through `run_async` (clean SIGTERM) and return what it returns."""
    box: list[T] = []

    async def keep() -> None:
        box.append(await main)

    run_async(keep())
    return box[0]


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
