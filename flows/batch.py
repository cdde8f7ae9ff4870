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

from flows.common import StageUnits, new_run_id, outcome, runner_options, unit_session
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
from mapelite.catalog.models import load_catalog, select_models
from mapelite.config.settings import Settings, get_settings
from mapelite.harnesses import parse_harness_selection
from mapelite.schemas import DEFAULT_CALL_TIMEOUT_S, AgentContext, HarnessRunnerOptions, ItemSample
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
    runs: int,
    settings: Settings,
    sample: ItemSample | None = None,
    *,
    models: str | list[str] | None = None,
) -> BatchRequest:
    """The batch's models from ``tier`` or ``models`` (`mapelite.catalog.models.select_models`: an
    empty tier or list is refused first), harnesses, runs, item sample and estimate."""
    from mapelite.errors import InvalidInputError

    tier, models = select_models(load_catalog(), tier=tier, models=models)
    if runs < 1:
        raise InvalidInputError(f"--runs must be at least 1, got {runs}")
    harness_ids = parse_harness_selection(harness)
    options = HarnessRunnerOptions(**(sample or ItemSample()).fields())
    estimate = estimate_batch(
        models, harness_ids, runs, tier=tier, warn_usd=settings.warn_usd, options=options
    )
    return BatchRequest(tier, models, harness_ids, runs, estimate)


@flow(name="batch", persist_result=False, log_prints=False)
async def batch_flow(
    tier: str | None = None,
    harness: str = "all",
    runs: int = 1,
    runner: str = "local",
    run_id: str | None = None,
    budget_usd: float | None = None,
    timeout_s: float = 300.0,
    call_timeout_s: float | None = DEFAULT_CALL_TIMEOUT_S,
    retries: int = 3,
    item_limit: int | None = None,
    cache: bool = False,
    models: list[str] | None = None,
    seed: int = 0,
    sample: ItemSample | None = None,
    preflight: bool = True,
) -> BatchResult:
    """Every model of ``tier`` (or ``models``) runs the chosen harnesses ``runs`` times, repeat r
    with seed ``seed + r`` (``item_limit``: only the first N items of each harness, for smoke
    tests and benchmarks)."""
    settings = get_settings()
    request = resolve_batch(tier, harness, runs, settings, sample, models=models)
    tier = request.tier
    run_id = run_id or new_run_id()
    what = f"{tier} h{','.join(map(str, request.harness_ids))} x{runs}"
    await name_flow_run(run_name("batch", what, run_id))
    log_run(estimate_line(request.estimate))
    started = time.monotonic()
    options = runner_options(timeout_s, call_timeout_s, retries, item_limit, cache, sample)
    async with unit_session(
        request.run_plan(run_id),
        request.models,
        runner,
        settings,
        budget_usd=budget_usd,
        options=options,
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
        own = [r for r in found.values() if r.model == model]
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
            runner,
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
