"""The eval flow: one model x the harnesses (default all 8, in port order) -> fitness.

Units are (run id, 0, 0, harness); harnesses run one after another in id order, like a
port scan, so the log and the ledger read in that order. The fitness (weighted mean of the
normalized scores, `mapelite.stats.fitness`, with its 95% CI) is returned only when all 8 harnesses
scored: a fitness over some of them is not comparable with one over all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from flows.common import StageUnits, new_run_id, outcome, single_run, unit_session
from flows.engine import flow
from flows.publish import (
    artifact_key,
    estimate_line,
    eval_markdown,
    finish_run,
    log_run,
    name_flow_run,
    run_name,
)
from mapelite.catalog.cost import CostEstimate, estimate_batch
from mapelite.catalog.models import load_catalog
from mapelite.catalog.setups import resolve_setup
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import Settings, get_settings
from mapelite.harnesses import parse_harness_selection
from mapelite.ledger.outcomes import has_errors, scored_mean
from mapelite.schemas import HARNESS_NAMES, AgentContext, HarnessResult
from mapelite.stats.core import outcome_interval
from mapelite.stats.fitness import fitness
from mapelite.stats.score_intervals import fitness_interval
from mapelite.swarm.plan import EvalResult, RunPlan, unit_key


@dataclass(frozen=True)
class EvalRequest:
    """An eval resolved from user input, before any call: what the CLI gates on."""

    model: str
    harness_ids: list[int]
    estimate: CostEstimate
    options: RunOptions


def resolve_eval(
    model: str, harness: str, settings: Settings, options: RunOptions | None = None
) -> EvalRequest:
    """The harnesses in id order, the options with their defaults filled in
    (`RunOptions.resolved`) and the estimate of ``options.runs`` evaluations; an unknown model
    or provider is one line before anything runs. The model becomes the setup it runs
    (`mapelite.catalog.setups.resolve_setup`)."""
    harness_ids = sorted(parse_harness_selection(harness))
    catalog = load_catalog()
    # The setup it runs; an unknown model or provider: one line before anything runs.
    model = resolve_setup(catalog, model, options.reasoning if options is not None else None)
    resolved = (options or RunOptions()).resolved(
        settings.defaults, simulated=catalog.all_simulated([model])
    )
    estimate = estimate_batch(
        [model],
        harness_ids,
        resolved.runs or 1,
        tier="-",
        warn_usd=settings.warn_usd,
        options=resolved.runner_options(),
    )
    return EvalRequest(model, harness_ids, estimate, resolved)


def eval_plan(run_id: str, model: str, harness_ids: Iterable[int]) -> RunPlan:
    """The units an eval plans: one per harness, agent 0 of stage 0."""
    models = {unit_key(run_id, 0, 0, harness_id): model for harness_id in harness_ids}
    return RunPlan(run_id=run_id, kind="eval", pattern=None, models=models)


@flow(name="eval", persist_result=False, log_prints=False)
async def eval_flow(
    model: str,
    harness: str = "all",
    options: RunOptions | None = None,
    preflight: bool = True,
) -> EvalResult:
    """``model`` on the chosen harnesses, once, in id order; see the module docstring."""
    settings = get_settings()
    request = resolve_eval(model, harness, settings, single_run(options))
    harness_ids, estimate, options = request.harness_ids, request.estimate, request.options
    model = request.model
    run_id = options.run_id or new_run_id()
    await name_flow_run(run_name("eval", model, run_id))
    log_run(estimate_line(estimate))
    started = time.monotonic()
    found: dict[int, HarnessResult] = {}
    plan = eval_plan(run_id, model, harness_ids)
    async with unit_session(
        plan,
        [model],
        options.runner,
        settings,
        budget_usd=options.budget_usd,
        options=options.runner_options(),
        estimate_usd=estimate.estimated_cost,
        preflight=preflight,
    ) as executor:
        executor.progress.stage(f"eval {model}", len(harness_ids))
        for harness_id in harness_ids:
            key = unit_key(run_id, 0, 0, harness_id)
            stage = StageUnits()
            context = partial(AgentContext, run_id=run_id, unit_key=key)
            executor.schedule(stage, key, harness_id, model, context)
            stored = await executor.run(stage, f"h{harness_id}")
            if key not in stored:
                break  # the budget stopped it
            found[harness_id] = stored[key]
        budget = executor.budget
    # Errors are not scores: a harness whose items all failed has no score (partial coverage).
    scores = {h: mean for h, r in found.items() if (mean := scored_mean(r)) is not None}
    intervals = {h: outcome_interval(found[h].metadata.items) for h in scores}
    # A fitness over some harnesses is not comparable with one over all 8: none until complete.
    complete = set(scores) == set(HARNESS_NAMES)
    weights = settings.fitness_weights()
    value = fitness(scores, weights) if complete else None
    low, high = fitness_interval(intervals, weights.weights) if complete else (None, None)
    result = EvalResult(
        **outcome(
            run_id,
            options.runner,
            started,
            estimate,
            budget,
            [model],
            found.values(),
            reused_items=executor.reused_items,
        ),
        model=model,
        scores=scores,
        intervals=intervals,
        failed=[h for h, r in found.items() if has_errors(r)],
        fitness=value,
        fitness_ci_low=None if low is None or value is None else min(low, value),
        fitness_ci_high=None if high is None or value is None else max(high, value),
    )
    await finish_run(
        artifact_key("eval", model),
        result,
        f"fitness of {model}: {'-' if value is None else f'{value:.3f}'} over harnesses "
        f"{sorted(scores)}",
        eval_markdown(result),
        found.values(),
    )
    return result


if __name__ == "__main__":
    # The entry point `python -m flows.eval` runs the command line's eval command.
    from cli.flows import eval_main

    eval_main()
