"""The eval flow: one model x the harnesses (default all 8, in port order) -> fitness.

Units are (run id, 0, 0, harness); harnesses run one after another in id order, like a
port scan, so the log and the ledger read in that order. The fitness (weighted mean of the
normalized scores, `mapelite.fitness`) is logged to the flow run and returned.
"""

from __future__ import annotations

import time

from prefect import get_run_logger

from flows.common import new_run_id, run_cost, unit_session
from flows.engine import flow
from mapelite.catalog import load_catalog
from mapelite.cost import estimate_batch
from mapelite.fitness import fitness
from mapelite.harnesses import parse_harness_selection
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions
from mapelite.settings import get_settings
from mapelite.swarm import EvalResult, RunPlan, reusable, unit_key


@flow(name="eval", persist_result=False, log_prints=False)
async def eval_flow(
    model: str,
    harness: str = "all",
    runner: str = "local",
    run_id: str | None = None,
    budget_usd: float | None = None,
    timeout_s: float = 300.0,
    retries: int = 3,
    item_limit: int | None = None,
) -> EvalResult:
    settings = get_settings()
    harness_ids = sorted(parse_harness_selection(harness))
    catalog = load_catalog()
    catalog.get(model)  # unknown model or provider: one line before anything runs
    estimate = estimate_batch([model], harness_ids, 1, tier="-", warn_usd=settings.warn_usd)
    run_id = run_id or new_run_id()
    started = time.monotonic()
    options = HarnessRunnerOptions(timeout_s=timeout_s, retries=retries, item_limit=item_limit)
    found: dict[int, HarnessResult] = {}
    plan = RunPlan(
        run_id=run_id,
        kind="eval",
        pattern=None,
        models={unit_key(run_id, 0, 0, harness_id): model for harness_id in harness_ids},
    )
    async with unit_session(
        plan, [model], runner, settings, budget_usd=budget_usd, options=options
    ) as (executor, recorded):
        executor.progress.start(len(harness_ids))
        for harness_id in harness_ids:
            key = unit_key(run_id, 0, 0, harness_id)
            done = reusable(recorded.get(key), model)
            if done is not None:
                found[harness_id] = done
                executor.progress.advance(executor.budget.spent_usd)
                continue
            unit = executor.unit(harness_id, model, AgentContext(run_id=run_id, unit_key=key))
            stored = await executor.run_stage([unit], f"h{harness_id}")
            if key not in stored:
                break  # the budget stopped it
            found[harness_id] = stored[key]
        budget = executor.budget
    scores = {h: r.scores.normalized for h, r in found.items()}
    value = fitness(scores)
    get_run_logger().info("fitness of %s: %.3f over harnesses %s", model, value, sorted(scores))
    return EvalResult(
        run_id=run_id,
        model=model,
        runner=runner,
        scores=scores,
        failed=[h for h, r in found.items() if r.failed],
        fitness=value,
        duration_s=time.monotonic() - started,
        cost=run_cost(estimate, budget),
        simulated=catalog.get(model).simulated,
        complete=budget.stopped_reason is None,
        stopped_reason=budget.stopped_reason,
    )


if __name__ == "__main__":
    from flows.cli import eval_main

    eval_main()
