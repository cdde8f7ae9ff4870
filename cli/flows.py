"""The flow commands: swarm, batch, eval.

Each validates its input, checks the runner's server and the provider keys, prints the run id
and the cost estimate, passes the cost gate, and only then starts the flow. ``python -m
flows.swarm|batch|eval`` run the same commands alone (`swarm_main`, `batch_main`, `eval_main`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import typer

import flows  # noqa: F401  (prepares Prefect's environment before anything imports Prefect)
from cli.app import add_command, note_run_started, run_async, single_command_main
from cli.options import (
    HARNESS_OPTION,
    JSON_OPTION,
    MODELS_OPTION,
    RUN_OPTIONS,
    SELECT_TIER_OPTION,
    TIER_HELP,
    cost_gate,
    note_capped_sample,
    refuse_unconfirmed,
    takes_run_options,
)
from cli.output import (
    make_console,
    print_estimate,
    print_json,
    progress_for,
    say,
    stdout_for_json,
)
from mapelite.config.run_options import RunOptions
from mapelite.errors import BudgetExceededError, InvalidInputError

if TYPE_CHECKING:
    from rich.console import Console

    from cli.summaries import Entries
    from mapelite.catalog.cost import CostEstimate
    from mapelite.config.settings import Settings
    from mapelite.swarm.plan import BatchResult, EvalResult, RunOutcome, RunPlan, SwarmResult

T = TypeVar("T")
R = TypeVar("R", bound="RunOutcome")
console = make_console()


def _start_local_api() -> None:
    """Started first, so Prefect's local server starts while the command imports and estimates
    (a cold command otherwise waits for its whole start after the estimate)."""
    from flows.embedded import use_local_api

    use_local_api()


def _check_runner(name: str) -> None:
    from mapelite.config.settings import get_settings
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


def _flow_arguments(options: RunOptions) -> dict[str, Any]:
    """The flow parameters of a run already given its id. The pre-run check was made once, by
    `_start_run`, so the flow does not ask the endpoints again."""
    return {"options": options, "preflight": False, "return_state": True}


async def _start_run(
    options: RunOptions,
    models: list[str],
    estimate: CostEstimate,
    settings: Settings,
    plans: Callable[[str], list[RunPlan]],
) -> str:
    """Everything a run checks before its first call, before it prints anything: the runner's
    server, the pre-run check (the ledger verifies and takes appends, every endpoint answers and
    takes its key), a given run id resumes this very run (``plans``: the runs a run id stands
    for), and the cost gate's refusal. Then it prints the run id (to resume with) and the
    estimate (and asks on a terminal); returns the run id. So a refusal is a command's only
    line. The flow is then started with ``preflight=False``: the endpoints are asked once per
    run."""
    from mapelite.ledger.chain import Ledger
    from mapelite.ledger.runid import new_run_id
    from mapelite.prerun import check_resume, pre_run_check
    from mapelite.schemas import HarnessRunnerOptions

    _check_runner(options.runner)
    await pre_run_check(models, settings)
    if options.run_id is not None:
        sample = HarnessRunnerOptions(**options.sample.fields())
        ledger = Ledger(settings.ledger)
        await asyncio.to_thread(check_resume, ledger, plans(options.run_id), sample)
    refuse_unconfirmed(estimate, options.yes)
    run_id = options.run_id or new_run_id()
    note_run_started(run_id)  # an interrupted run prints how to resume it
    say(console, f"run id {run_id}")
    print_estimate(estimate, console)
    cost_gate(estimate, options.yes)
    return run_id


def _run_ids(base: str, runs: int) -> list[str]:
    """One run id per repeat of a whole swarm or eval: ``base`` alone, or ``base.1`` ...
    ``base.N``, so ``--run-id base`` resumes every repeat."""
    return [base] if runs == 1 else [f"{base}.{repeat + 1}" for repeat in range(runs)]


def _report(
    results: list[R],
    as_json: bool,
    print_summary: Callable[[R, Console, Entries], None],
) -> None:
    """Print each run's summary (or all of them as JSON) from what the ledger holds for it now,
    then end with the exit code: 3 when the budget stopped it, 5 when some harness runs ended in
    errors (they are missing coverage; the summary listed them by cause before the line to
    resume with)."""
    from cli.summaries import exit_if_errors
    from mapelite.config.settings import get_settings
    from mapelite.ledger.chain import Ledger

    ledger = Ledger(get_settings().ledger)
    recorded = [ledger.results_for_run(result.run_id) for result in results]
    if as_json:
        data = [r.model_dump(mode="json") for r in results]
        print_json(data[0] if len(data) == 1 else data)
    else:
        for result, entries in zip(results, recorded, strict=True):
            print_summary(result, console, entries)
    if results and results[-1].stopped_reason:
        raise BudgetExceededError(results[-1].stopped_reason)
    every = [entry for entries in recorded for entry in entries.values()]
    base = results[0].run_id.rsplit(".", 1)[0] if len(results) > 1 else results[0].run_id
    exit_if_errors(every, f"re-run with --run-id {base} to run them again")


async def _swarm(
    pattern: str,
    tier: str | None,
    models: str | None,
    harness: str,
    lead: str | None,
    options: RunOptions,
) -> list[SwarmResult]:
    from flows.swarm import resolve_swarm, swarm_flow
    from mapelite.catalog.models import load_catalog
    from mapelite.config.settings import get_settings
    from mapelite.swarm.plan import SwarmResult

    settings = get_settings()
    if lead is not None:
        load_catalog().get(lead)
    request = resolve_swarm(pattern, tier, harness, lead, settings, options, models=models)
    options = request.options
    note_capped_sample(options.sample, request.harness_ids)
    base = await _start_run(
        options,
        request.agent_models,
        request.estimate,
        settings,
        lambda base: [request.run_plan(run_id) for run_id in _run_ids(base, options.runs or 1)],
    )
    chosen = request.models if models is not None else None
    results = []
    for repeat, run_id in enumerate(_run_ids(base, options.runs or 1)):
        result = await _run_flow(
            partial(
                swarm_flow,
                pattern,
                None if chosen is not None else tier,
                harness=harness,
                lead=lead,
                models=chosen,
                **_flow_arguments(options.for_repeat(run_id, repeat)),
            ),
            SwarmResult,
        )
        results.append(result)
        if result.stopped_reason:
            break
    return results


@takes_run_options()
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
    options: RunOptions = RUN_OPTIONS,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a swarm pattern over a tier (or --models), stage by stage; every agent's result is
    in the ledger.

    Agent i of a stage uses model i of the tier (cycling); width-1 stages use the lead. A tier
    wider than the widest stage is not spread over the stages: the models no agent uses are
    left out, and the run names them (cost-estimate too). One model with --models is a Self-MoA
    swarm: every agent is that model. --runs N runs the whole swarm N times (run ids RUN.1 ...
    RUN.N, seeds SEED ... SEED+N-1). Re-run with --run-id to resume an interrupted run without
    paying twice. Every agent answers the same items: those --bank, --items and --item-seed
    choose (or mapelite.toml's defaults).

    Example: map-elite swarm :10 --tier demo --harness all --yes
    Example: map-elite swarm :10 --models ollama/llama3.2:1b --seed 7
    """
    _start_local_api()
    from cli.summaries import print_swarm_summary

    with stdout_for_json(as_json):
        results = _gather(_swarm(pattern, tier, models, harness, lead, options))
    _report(results, as_json, print_swarm_summary)


async def _batch(
    tier: str | None, models: str | None, harness: str, options: RunOptions
) -> BatchResult:
    from flows.batch import batch_flow, resolve_batch
    from mapelite.config.settings import get_settings
    from mapelite.swarm.plan import BatchResult

    settings = get_settings()
    request = resolve_batch(tier, harness, settings, options, models=models)
    options = request.options
    note_capped_sample(options.sample, request.harness_ids)
    run_id = await _start_run(
        options, request.models, request.estimate, settings, lambda base: [request.run_plan(base)]
    )
    chosen = request.models if models is not None else None
    return await _run_flow(
        partial(
            batch_flow,
            None if chosen is not None else tier,
            harness=harness,
            models=chosen,
            **_flow_arguments(options.model_copy(update={"run_id": run_id})),
        ),
        BatchResult,
    )


@takes_run_options()
def batch_command(
    tier: str | None = typer.Argument(None, help=TIER_HELP),
    models: str | None = MODELS_OPTION,
    harness: str = HARNESS_OPTION,
    options: RunOptions = RUN_OPTIONS,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run every model of a tier (or of --models) on a harness (or all), --runs times each.

    Every model answers the same items: those --bank, --items and --item-seed choose (the
    defaults table of mapelite.toml applies when they are not given).

    Example: map-elite batch demo --harness 7 --runs 8 --yes
    Example: map-elite batch --models ollama/llama3.2:1b,mockllm/atlas --harness 0
    Example: map-elite batch tier1 --harness all --bank gen --items 100 --item-seed 7
    """
    _start_local_api()
    from cli.summaries import print_batch_summary

    with stdout_for_json(as_json):
        result = _gather(_batch(tier, models, harness, options))
    _report([result], as_json, print_batch_summary)


async def _eval(model: str, harness: str, options: RunOptions) -> list[EvalResult]:
    from flows.eval import eval_flow, eval_plan, resolve_eval
    from mapelite.config.settings import get_settings
    from mapelite.swarm.plan import EvalResult

    settings = get_settings()
    request = resolve_eval(model, harness, settings, options)
    options = request.options
    note_capped_sample(options.sample, request.harness_ids)
    harness_ids = request.harness_ids
    base = await _start_run(
        options,
        [model],
        request.estimate,
        settings,
        lambda base: [
            eval_plan(r, request.model, harness_ids) for r in _run_ids(base, options.runs or 1)
        ],
    )
    results = []
    for repeat, run_id in enumerate(_run_ids(base, options.runs or 1)):
        result = await _run_flow(
            partial(
                eval_flow,
                model,
                harness=harness,
                **_flow_arguments(options.for_repeat(run_id, repeat)),
            ),
            EvalResult,
        )
        results.append(result)
        if result.stopped_reason:
            break
    return results


@takes_run_options()
def eval_command(
    model: str = typer.Argument(
        ..., help="model id with provider or endpoint prefix, e.g. mockllm/atlas or lab/x"
    ),
    harness: str = HARNESS_OPTION,
    options: RunOptions = RUN_OPTIONS,
    as_json: bool = JSON_OPTION,
) -> None:
    """Evaluate one model on the 8 harnesses in order and print its fitness (--runs N: N
    evaluations, run ids RUN.1 ... RUN.N, seeds SEED ... SEED+N-1).

    The items are those --bank, --items and --item-seed choose (or mapelite.toml's defaults).

    Example: map-elite eval openrouter/openai/gpt-5-nano --yes
    """
    _start_local_api()
    from cli.summaries import print_eval_summary

    with stdout_for_json(as_json):
        results = _gather(_eval(model, harness, options))
    _report(results, as_json, print_eval_summary)


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
