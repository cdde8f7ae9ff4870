"""The batch flow: every model of a tier x one harness (or all), repeated ``runs`` times.

Units are (run id, model index, harness, repeat) — stage 0, agent = the model's index in the
tier — so a re-run with the same run id completes an interrupted batch without paying twice.
Repeat r runs with seed ``seed + r`` (the simulated models vary with it). Concurrency is bounded
by the providers' limits (runner) and the flow's scheduling bound (see `flows.common`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

from flows.common import StageUnits, new_run_id, outcome, unit_session
from flows.engine import flow
from flows.publish import (
    artifact_key,
    batch_markdown,
    estimate_line,
    finish_run,
    log_run,
    name_flow_run,
    run_name,
)
from mapelite.catalog.cost import CostEstimate, estimate_batch
from mapelite.catalog.models import load_catalog
from mapelite.catalog.setups import select_models
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import Settings, get_settings
from mapelite.harnesses import parse_harness_selection
from mapelite.schemas import AgentContext
from mapelite.stats.score_intervals import score_interval
from mapelite.swarm.plan import (
    BatchResult,
    ModelSummary,
    RunPlan,
    mean_score,
    unit_key,
)


@dataclass(frozen=True)
class BatchRequest:
    tier: str
    models: list[str]
    harness_ids: list[int]
    runs: int
    estimate: CostEstimate
    options: RunOptions

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


def resolve_batch(
    tier: str | None,
    harness: str,
    settings: Settings,
    options: RunOptions | None = None,
    *,
    models: str | list[str] | None = None,
) -> BatchRequest:
    """The batch's setups from ``tier`` or ``models`` (`mapelite.catalog.setups.select_models`:
    an empty tier or list is refused first; ``options.reasoning`` applies to the models that
    reason and have no setting of their own), harnesses, the options with their defaults filled
    in (`RunOptions.resolved`) and the estimate."""
    catalog = load_catalog()
    reasoning = options.reasoning if options is not None else None
    tier, models = select_models(catalog, tier=tier, models=models, reasoning=reasoning)
    resolved = (options or RunOptions()).resolved(
        settings.defaults, simulated=catalog.all_simulated(models)
    )
    runs = resolved.runs or 1
    harness_ids = parse_harness_selection(harness)
    estimate = estimate_batch(
        models,
        harness_ids,
        runs,
        tier=tier,
        warn_usd=settings.warn_usd,
        options=resolved.runner_options(),
    )
    return BatchRequest(tier, models, harness_ids, runs, estimate, resolved)


@flow(name="batch", persist_result=False, log_prints=False)
async def batch_flow(
    tier: str | None = None,
    harness: str = "all",
    models: list[str] | None = None,
    options: RunOptions | None = None,
    preflight: bool = True,
) -> BatchResult:
    """Every model of ``tier`` (or ``models``) runs the chosen harnesses ``options.runs`` times,
    repeat r with seed ``options.seed + r``."""
    settings = get_settings()
    request = resolve_batch(tier, harness, settings, options, models=models)
    tier, runs, options = request.tier, request.runs, request.options
    run_id = options.run_id or new_run_id()
    seed = options.seed or 0
    what = f"{tier} h{','.join(map(str, request.harness_ids))} x{runs}"
    await name_flow_run(run_name("batch", what, run_id))
    log_run(estimate_line(request.estimate))
    started = time.monotonic()
    async with unit_session(
        request.run_plan(run_id),
        request.models,
        options.runner,
        settings,
        budget_usd=options.budget_usd,
        options=options.runner_options(),
        estimate_usd=request.estimate.estimated_cost,
        preflight=preflight,
    ) as executor:
        executor.progress.stage("batch", request.units)
        stage = StageUnits()
        for repeat in range(runs):
            for harness_id in request.harness_ids:
                for index, model in enumerate(request.models):
                    key = unit_key(run_id, 0, index, harness_id, repeat)
                    context = partial(
                        AgentContext, run_id=run_id, unit_key=key, agent=index, repeat=repeat
                    )
                    executor.schedule(stage, key, harness_id, model, context, seed=seed + repeat)
        found = await executor.run(stage, "batch")
        budget = executor.budget
    per_model = []
    for model in request.models:
        own = [r for r in found.values() if r.setup == model]
        per_model.append(
            ModelSummary(
                model=model,
                units=len(own),
                failed=sum(1 for r in own if r.failed),
                mean_score=mean_score(own),
                interval=score_interval(own),
            )
        )
    result = BatchResult(
        **outcome(
            run_id,
            options.runner,
            started,
            request.estimate,
            budget,
            request.models,
            found.values(),
            reused_items=executor.reused_items,
        ),
        tier=tier,
        models=request.models,
        harness_ids=request.harness_ids,
        runs=runs,
        units=request.units,
        completed=len(found),
        failed=sum(1 for r in found.values() if r.failed),
        reused=len(stage.reused),
        per_model=per_model,
    )
    best = max((m.mean_score for m in per_model if m.mean_score is not None), default=None)
    await finish_run(
        artifact_key("batch", tier),
        result,
        f"{result.completed}/{result.units} harness runs, {result.failed} failed, best mean "
        f"score {'-' if best is None else f'{best:.3f}'}",
        batch_markdown(result),
        found.values(),
    )
    return result


if __name__ == "__main__":
    # The entry point `python -m flows.batch` runs the command line's batch command.
    from cli.flows import batch_main

    batch_main()
