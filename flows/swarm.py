"""The swarm flow: a pattern's stages run one after another, each stage's units together.

``python -m flows.swarm :10 --tier demo --harness all --yes`` (same options as
``map-elite swarm``).

A stage's units (agent x harness) run together as a few `run_units_task` runs under one lease of
each provider's global limit (`flows.common`); each result is in the ledger as soon as it exists,
and a stage starts only when the one before is stored. Resume: before running, the ledger's
entries for the run id say which units are done; those are reused — their answers feed the next
stage — and never paid for twice. Units recorded as failed (``metadata.error``) are run again;
the ledger then holds the failed attempt and the new one, and the latest wins. An aggregator or
consumer whose upstream agents all failed runs on the prompt alone (it has no answers to read).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

from flows.common import StageUnits, UnitExecutor, new_run_id, outcome, single_run, unit_session
from flows.engine import flow
from flows.publish import (
    artifact_key,
    estimate_line,
    finish_run,
    log_run,
    name_flow_run,
    run_name,
    swarm_markdown,
)
from mapelite.catalog.cost import CostEstimate, estimate_swarm
from mapelite.catalog.models import load_catalog
from mapelite.catalog.setups import resolve_setup, select_models
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import Settings, get_settings
from mapelite.harnesses import parse_harness_selection
from mapelite.schemas import HarnessResult
from mapelite.stats.score_intervals import score_interval
from mapelite.stats.verdicts import swarm_verdicts
from mapelite.swarm.patterns import Pattern, parse_pattern
from mapelite.swarm.plan import (
    RunPlan,
    StagePlan,
    StageSummary,
    SwarmResult,
    agent_context,
    left_out_note,
    mean_score,
    plan_stages,
    swarm_scores,
    unit_key,
)


@dataclass(frozen=True)
class SwarmRequest:
    """A swarm resolved from user input, before any call: what the CLI gates on."""

    pattern: Pattern
    tier: str
    models: list[str]
    lead: str
    harness_ids: list[int]
    plans: list[StagePlan]
    estimate: CostEstimate
    options: RunOptions

    @property
    def units(self) -> int:
        return self.pattern.total_agents * len(self.harness_ids)

    @property
    def left_out_note(self) -> str | None:
        """Which tier models no agent uses (a tier wider than the widest stage), or None."""
        label = "--models" if self.tier == "models" else f"tier {self.tier}"
        return left_out_note(self.pattern.code, self.pattern.stages, self.models, self.lead, label)

    @property
    def agent_models(self) -> list[str]:
        return list(dict.fromkeys(a.model for p in self.plans for a in p.agents))

    def run_plan(self, run_id: str) -> RunPlan:
        models = {
            unit_key(run_id, plan.index, agent.agent, harness_id): agent.model
            for plan in self.plans
            for agent in plan.agents
            for harness_id in self.harness_ids
        }
        return RunPlan(run_id=run_id, kind="swarm", pattern=self.pattern.code, models=models)


def resolve_swarm(
    pattern: str,
    tier: str | None,
    harness: str,
    lead: str | None,
    settings: Settings,
    options: RunOptions | None = None,
    *,
    models: str | list[str] | None = None,
) -> SwarmRequest:
    """The swarm's models from ``tier`` or ``models`` (an empty tier or list is refused before
    anything else; one model is a Self-MoA swarm), pattern, harnesses, lead, the options with
    their defaults filled in (`RunOptions.resolved`) and the estimate of ``options.runs``
    swarms. Models and lead are setups (``options.reasoning`` applies to the models that reason
    and have no setting of their own)."""
    catalog = load_catalog()
    reasoning = options.reasoning if options is not None else None
    tier, models = select_models(catalog, tier=tier, models=models, reasoning=reasoning)
    resolved = (options or RunOptions()).resolved(
        settings.defaults, simulated=catalog.all_simulated(models)
    )
    parsed = parse_pattern(pattern, settings.max_agents)
    harness_ids = parse_harness_selection(harness)
    lead_model = resolve_setup(catalog, lead, reasoning) if lead else models[0]
    estimate = estimate_swarm(
        parsed,
        models,
        harness_ids,
        tier=tier,
        lead=lead_model,
        warn_usd=settings.warn_usd,
        runs=resolved.runs or 1,
        options=resolved.runner_options(),
    )
    return SwarmRequest(
        pattern=parsed,
        tier=tier,
        models=models,
        lead=lead_model,
        harness_ids=harness_ids,
        plans=plan_stages(parsed.stages, models, lead_model),
        estimate=estimate,
        options=resolved,
    )


@flow(name="swarm", persist_result=False, log_prints=False)
async def swarm_flow(
    pattern: str,
    tier: str | None = None,
    harness: str = "all",
    lead: str | None = None,
    models: list[str] | None = None,
    options: RunOptions | None = None,
    preflight: bool = True,
) -> SwarmResult:
    """Run ``pattern`` over ``tier`` (or ``models``) on the chosen harnesses, once; ``seed``
    goes to every model call (the simulated models vary with it); see the module docstring."""
    settings = get_settings()
    request = resolve_swarm(
        pattern, tier, harness, lead, settings, single_run(options), models=models
    )
    tier, options = request.tier, request.options
    run_id = options.run_id or new_run_id()
    await name_flow_run(run_name("swarm", f"{request.pattern.code} {tier}", run_id))
    log_run(estimate_line(request.estimate))
    started = time.monotonic()
    results: dict[str, HarnessResult] = {}
    summaries: list[StageSummary] = []
    async with unit_session(
        request.run_plan(run_id),
        request.agent_models,
        options.runner,
        settings,
        budget_usd=options.budget_usd,
        options=options.runner_options(),
        estimate_usd=request.estimate.estimated_cost,
        preflight=preflight,
    ) as executor:
        budget = executor.budget
        progress = executor.progress
        if request.left_out_note is not None:
            progress.note(request.left_out_note)
        previous: dict[int, dict[int, HarnessResult]] = {}
        for plan in request.plans:
            if budget.stopped_reason is not None:
                break
            summary, previous = await _run_stage(plan, request, run_id, executor, previous, results)
            summaries.append(summary)
            progress.end_stage()
            line = (
                f"stage {plan.index + 1}/{len(request.plans)} ({plan.role} x{plan.width}) done:"
                f" mean score {_fmt(summary.mean_score)}, {summary.failed} failed,"
                f" {summary.reused} reused, {summary.duration_s:.1f}s"
            )
            progress.note(line)
            log_run(line)
    score, gain, best = swarm_scores(request.plans, results, run_id, request.harness_ids)
    result = SwarmResult(
        **outcome(
            run_id,
            options.runner,
            started,
            request.estimate,
            budget,
            request.agent_models,
            results.values(),
            reused_items=executor.reused_items,
        ),
        pattern=request.pattern.code,
        pattern_name=request.pattern.name,
        tier=tier,
        lead=request.lead,
        harness_ids=request.harness_ids,
        stages=summaries,
        swarm_score=score,
        coordination_gain=gain,
        best_single_agent=best,
        models_left_out=request.estimate.models_left_out,
        verdicts=swarm_verdicts(list(results.values())) if results else None,
    )
    await finish_run(
        artifact_key("swarm", result.pattern, tier),
        result,
        f"swarm score {_fmt(score)}, coordination gain {_fmt(gain)}",
        swarm_markdown(result),
        results.values(),
    )
    return result


async def _run_stage(
    plan: StagePlan,
    request: SwarmRequest,
    run_id: str,
    executor: UnitExecutor,
    previous: dict[int, dict[int, HarnessResult]],
    results: dict[str, HarnessResult],
) -> tuple[StageSummary, dict[int, dict[int, HarnessResult]]]:
    """Run (or reuse) every unit of one stage; returns its summary and its results by harness
    and agent, which the next stage reads."""
    started = time.monotonic()
    current: dict[int, dict[int, HarnessResult]] = {h: {} for h in request.harness_ids}
    stage = StageUnits()
    executor.progress.stage(
        f"stage {plan.index + 1}/{len(request.plans)} {plan.role} x{plan.width}",
        plan.width * len(request.harness_ids),
    )
    for agent in plan.agents:
        for harness_id in request.harness_ids:
            key = unit_key(run_id, plan.index, agent.agent, harness_id)
            context = partial(
                agent_context,
                run_id,
                request.pattern.code,
                agent,
                harness_id,
                previous.get(harness_id),
            )
            executor.schedule(stage, key, harness_id, agent.model, context)
    done = await executor.run(stage, f"stage {plan.index + 1} {plan.role}")
    for result in done.values():
        current[result.harness_id][result.metadata.agent or 0] = result
    stage_results = [r for by_agent in current.values() for r in by_agent.values()]
    for result in stage_results:
        if result.metadata.unit_key is not None:
            results[result.metadata.unit_key] = result
    summary = StageSummary(
        index=plan.index,
        width=plan.width,
        role=plan.role,
        models=plan.models,
        upstream_width=request.plans[plan.index - 1].width if plan.index else None,
        units=plan.width * len(request.harness_ids),
        completed=len(stage_results),
        failed=sum(1 for r in stage_results if r.failed),
        reused=len(stage.reused),
        mean_score=mean_score(stage_results),
        interval=score_interval(stage_results),
        duration_s=time.monotonic() - started,
    )
    return summary, current


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    # The entry point `python -m flows.swarm` runs the command line's swarm command.
    from cli.flows import swarm_main

    swarm_main()
