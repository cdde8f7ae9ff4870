"""The batch flow: every model of a tier x one harness (or all), repeated ``runs`` times.

Units are (run id, model index, harness, repeat) — stage 0, agent = the model's index in the
tier — so a re-run with the same run id completes an interrupted batch without paying twice.
Repeat r runs with seed r (the simulated models vary with it). Concurrency is bounded by the
providers' limits (runner) and the flow's scheduling bound (see `flows.common`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flows.common import new_run_id, run_cost, unit_session
from flows.engine import flow
from mapelite.catalog import load_catalog
from mapelite.cost import CostEstimate, estimate_batch
from mapelite.harnesses import parse_harness_selection
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions
from mapelite.settings import Settings, get_settings
from mapelite.swarm import (
    BatchResult,
    ModelSummary,
    RunPlan,
    mean_score,
    reusable,
    unit_key,
)


@dataclass(frozen=True)
class BatchRequest:
    tier: str
    models: list[str]
    harness_ids: list[int]
    runs: int
    estimate: CostEstimate

    @property
    def units(self) -> int:
        return len(self.models) * len(self.harness_ids) * self.runs

    def run_plan(self, run_id: str) -> RunPlan:
        models = {
            unit_key(run_id, 0, index, harness_id, repeat): model
            for repeat in range(self.runs)
            for harness_id in self.harness_ids
            for index, model in enumerate(self.models)
        }
        return RunPlan(run_id=run_id, kind="batch", pattern=None, models=models)


def resolve_batch(tier: str, harness: str, runs: int, settings: Settings) -> BatchRequest:
    from mapelite.errors import InvalidInputError

    if runs < 1:
        raise InvalidInputError(f"--runs must be at least 1, got {runs}")
    models = load_catalog().tier(tier)
    harness_ids = parse_harness_selection(harness)
    estimate = estimate_batch(models, harness_ids, runs, tier=tier, warn_usd=settings.warn_usd)
    return BatchRequest(tier, models, harness_ids, runs, estimate)


@flow(name="batch", persist_result=False, log_prints=False)
async def batch_flow(
    tier: str,
    harness: str = "all",
    runs: int = 1,
    runner: str = "local",
    run_id: str | None = None,
    budget_usd: float | None = None,
    timeout_s: float = 300.0,
    retries: int = 3,
    item_limit: int | None = None,
) -> BatchResult:
    """Every model of ``tier`` runs the chosen harnesses ``runs`` times (``item_limit``: only
    the first N items of each harness, for smoke tests and benchmarks)."""
    settings = get_settings()
    request = resolve_batch(tier, harness, runs, settings)
    run_id = run_id or new_run_id()
    started = time.monotonic()
    options = HarnessRunnerOptions(timeout_s=timeout_s, retries=retries, item_limit=item_limit)
    found: dict[str, HarnessResult] = {}
    reused = 0
    async with unit_session(
        request.run_plan(run_id),
        request.models,
        runner,
        settings,
        budget_usd=budget_usd,
        options=options,
    ) as (executor, recorded):
        executor.progress.start(request.units)
        pending = []
        for repeat in range(runs):
            for harness_id in request.harness_ids:
                for index, model in enumerate(request.models):
                    key = unit_key(run_id, 0, index, harness_id, repeat)
                    done = reusable(recorded.get(key), model)
                    if done is not None:
                        found[key] = done
                        reused += 1
                        executor.progress.advance(executor.budget.spent_usd)
                        continue
                    context = AgentContext(run_id=run_id, unit_key=key, agent=index, repeat=repeat)
                    pending.append(executor.unit(harness_id, model, context, seed=repeat))
        found.update(await executor.run_stage(pending, "batch"))
        budget = executor.budget
    per_model = []
    for model in request.models:
        own = [r for r in found.values() if r.model == model]
        per_model.append(
            ModelSummary(
                model=model,
                units=len(own),
                failed=sum(1 for r in own if r.failed),
                mean_score=mean_score(own),
            )
        )
    catalog = load_catalog()
    return BatchResult(
        run_id=run_id,
        tier=tier,
        models=request.models,
        harness_ids=request.harness_ids,
        runs=runs,
        runner=runner,
        units=request.units,
        completed=len(found),
        failed=sum(1 for r in found.values() if r.failed),
        reused=reused,
        per_model=per_model,
        duration_s=time.monotonic() - started,
        cost=run_cost(request.estimate, budget),
        simulated=any(catalog.get(m).simulated for m in request.models),
        complete=budget.stopped_reason is None,
        stopped_reason=budget.stopped_reason,
    )


if __name__ == "__main__":
    from flows.cli import batch_main

    batch_main()
