"""The eval flow: one model x the harnesses (default all 8, in port order) -> fitness.

Units are (run id, 0, 0, harness); harnesses run one after another in id order, like a
port scan, so the log and the ledger read in that order. The fitness (weighted mean of the
normalized scores, `mapelite.stats.fitness`, with its 95% CI) is returned only when all 8 harnesses
scored: a fitness over some of them is not comparable with one over all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import partial

from flows.common import StageUnits, new_run_id, outcome, runner_options, unit_session
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
from mapelite.catalog.cost import estimate_batch
from mapelite.catalog.models import load_catalog
from mapelite.config.settings import get_settings
from mapelite.harnesses import parse_harness_selection
from mapelite.ledger.outcomes import has_errors, scored_mean
from mapelite.schemas import (
    DEFAULT_CALL_TIMEOUT_S,
    HARNESS_NAMES,
    AgentContext,
    HarnessResult,
    ItemSample,
)
from mapelite.stats.core import outcome_interval
from mapelite.stats.fitness import fitness
from mapelite.stats.score_intervals import fitness_interval
from mapelite.swarm.plan import EvalResult, RunPlan, unit_key


def eval_plan(run_id: str, model: str, harness_ids: Iterable[int]) -> RunPlan:
    """The units an eval plans: one per harness, agent 0 of stage 0."""
    models = {unit_key(run_id, 0, 0, harness_id): model for harness_id in harness_ids}
    return RunPlan(run_id=run_id, kind="eval", pattern=None, models=models)


@flow(name="eval", persist_result=False, log_prints=False)
async def eval_flow(
    model: str,
    harness: str = "all",
    runner: str = "local",
    run_id: str | None = None,
    budget_usd: float | None = None,
    timeout_s: float = 300.0,
    call_timeout_s: float | None = DEFAULT_CALL_TIMEOUT_S,
    retries: int = 3,
    item_limit: int | None = None,
    cache: bool = False,
    seed: int = 0,
    sample: ItemSample | None = None,
    preflight: bool = True,
) -> EvalResult:
    settings = get_settings()
    harness_ids = sorted(parse_harness_selection(harness))
    catalog = load_catalog()
    catalog.get(model)  # unknown model or provider: one line before anything runs
    options = runner_options(timeout_s, call_timeout_s, retries, item_limit, cache, sample, seed)
    estimate = estimate_batch(
        [model], harness_ids, 1, tier="-", warn_usd=settings.warn_usd, options=options
    )
    run_id = run_id or new_run_id()
    await name_flow_run(run_name("eval", model, run_id))
    log_run(estimate_line(estimate))
    started = time.monotonic()
    found: dict[int, HarnessResult] = {}
    plan = eval_plan(run_id, model, harness_ids)
    async with unit_session(
        plan,
        [model],
        runner,
        settings,
        budget_usd=budget_usd,
        options=options,
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
            runner,
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
