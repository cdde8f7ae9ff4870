"""The search flow: a race over setups (`mapelite.search.racing`), one Prefect flow run per
generation, every call a unit of the usual runners, limits, ledger and budget (`flows.common`).

Generation g of run R is the sub-run ``R.g<g>`` (the confirmation is ``R.c``): all its units
answer the same item sample (``--bank gen``, the generation's item seed), one unit per agent of
each setup's stages and harness, keyed ``R.g<g>/<setup digest>/s<stage>/a<agent>/h<harness>``.
Resume: the race is replayed from generation 0; each generation reuses every unit the ledger
holds (no call is made twice) and runs the rest, so a resumed run reaches the archive an
unkilled run with the same seed reaches.
"""

from __future__ import annotations

import time
from collections import defaultdict

from flows.common import StageUnits, UnitExecutor, new_run_id, unit_session
from flows.engine import flow
from flows.publish import log_run, name_flow_run, publish_result, run_name
from mapelite.banks import items_for
from mapelite.catalog.models import load_catalog
from mapelite.config.settings import get_settings
from mapelite.ledger.outcomes import has_errors
from mapelite.providers.mockllm import majority
from mapelite.schemas import (
    DEFAULT_CALL_TIMEOUT_S,
    AgentContext,
    HarnessResult,
    HarnessRunnerOptions,
    ItemOutcome,
    ItemSample,
)
from mapelite.search.archive import ItemResult
from mapelite.search.racing import GenerationPlan, Race, RaceConfig, call_seed, generation_item_seed
from mapelite.search.report import SearchReport, markdown, report_of
from mapelite.search.setups import Setup, SetupSpace
from mapelite.search.simulated import cost_function
from mapelite.swarm.plan import RunPlan, reusable, upstream_answers

BANK = "gen"


def sub_run_id(run_id: str, plan: GenerationPlan) -> str:
    return f"{run_id}.c" if plan.confirmation else f"{run_id}.g{plan.index}"


def unit_key(sub_run: str, setup: Setup, stage: int, agent: int, harness_id: int) -> str:
    return f"{sub_run}/{setup.digest}/s{stage}/a{agent}/h{harness_id}"


def generation_sample(config: RaceConfig, plan: GenerationPlan) -> ItemSample:
    items = config.confirm_items if plan.confirmation else config.round_items
    return ItemSample(
        bank=BANK, items=items, item_seed=generation_item_seed(config.seed, plan.index)
    )


@flow(name="search-generation", persist_result=False, log_prints=False)
async def generation_flow(
    run_id: str,
    config: RaceConfig,
    plan_index: int,
    setups: list[str],
    confirmation: bool,
    budget_usd: float | None,
    runner: str = "local",
    timeout_s: float = 300.0,
    call_timeout_s: float | None = DEFAULT_CALL_TIMEOUT_S,
    retries: int = 3,
    preflight: bool = True,
) -> dict[str, list[ItemResult]]:
    """One generation: every setup's stages in order, all setups' units of a stage together."""
    from mapelite.search.setups import parse_name

    plan = GenerationPlan(plan_index, tuple(parse_name(s) for s in setups), confirmation)
    sub_run = sub_run_id(run_id, plan)
    await name_flow_run(run_name("search", f"generation {plan.index}", sub_run))
    sample = generation_sample(config, plan)
    options = HarnessRunnerOptions(
        timeout_s=timeout_s, call_timeout_s=call_timeout_s, retries=retries, **sample.fields()
    )
    keys = {
        unit_key(sub_run, setup, s, a, h): member.agent.model
        for setup in plan.setups
        for s, stage in enumerate(setup.stages())
        for a, member in enumerate(stage)
        for h in config.harness_ids
    }
    models = sorted(set(keys.values()))
    run_plan = RunPlan(run_id=sub_run, kind="batch", pattern=None, models=keys)
    async with unit_session(
        run_plan, models, runner, get_settings(), budget_usd=budget_usd, options=options,
        preflight=preflight,
    ) as executor:  # fmt: skip
        done = await _run_stages(executor, sub_run, config, plan)
    return {
        setup.name: _item_results(setup, config, plan, done, sample, sub_run)
        for setup in plan.setups
    }


async def _run_stages(
    executor: UnitExecutor, sub_run: str, config: RaceConfig, plan: GenerationPlan
) -> dict[str, HarnessResult]:
    done: dict[str, HarnessResult] = {}
    depth = max(len(setup.stages()) for setup in plan.setups)
    for s in range(depth):
        if executor.budget.stopped_reason is not None:
            break
        stage = StageUnits()
        for setup in plan.setups:
            stages = setup.stages()
            if s >= len(stages):
                continue
            for a, member in enumerate(stages[s]):
                for h in config.harness_ids:
                    key = unit_key(sub_run, setup, s, a, h)
                    model = member.agent.model
                    found = reusable(executor.session.recorded.get(key), model)
                    if found is not None:
                        stage.reused[key] = found
                        executor.progress.advance(
                            executor.budget.spent_usd, error=has_errors(found), reused=True
                        )
                        continue
                    upstream = [unit_key(sub_run, setup, s - 1, i, h) for i in member.reads]
                    context = AgentContext(
                        run_id=sub_run, unit_key=key, stage=s, agent=a, role=member.role,
                        upstream=upstream,
                        upstream_answers=upstream_answers(done[k] for k in upstream if k in done),
                    )  # fmt: skip
                    unit = executor.unit(
                        h, model, context, call_seed(config.seed, plan.index, s, a)
                    )
                    setting = member.agent.setting
                    if setting is not None:
                        unit = unit.model_copy(
                            update={
                                "options": unit.options.model_copy(update={"reasoning": setting})
                            }
                        )
                    stage.pending.append(unit)
        executor.progress.stage(f"stage {s + 1}/{depth}", len(stage.pending) + len(stage.reused))
        done.update(await executor.run(stage, f"generation {plan.index} stage {s + 1}"))
        executor.progress.end_stage()
    return done


def _item_results(
    setup: Setup,
    config: RaceConfig,
    plan: GenerationPlan,
    done: dict[str, HarnessResult],
    sample: ItemSample,
    sub_run: str,
) -> list[ItemResult]:
    """Per item of the sample: the setup's score (last stage's mean, or the majority answer of
    a vote, scored by the harness), the cost of all its calls and its latency (stages in turn,
    a stage as slow as its slowest agent). An item with a failed call in its last stage is
    missing, not a score."""
    out: list[ItemResult] = []
    stages = setup.stages()
    for h in config.harness_ids:
        runs = [
            [done.get(unit_key(sub_run, setup, s, a, h)) for a in range(len(stage))]
            for s, stage in enumerate(stages)
        ]
        if any(r is None for r in runs[-1]):
            continue
        by_item: dict[str, list[list[ItemOutcome]]] = defaultdict(lambda: [[] for _ in stages])
        for s, stage_runs in enumerate(runs):
            for result in stage_runs:
                for outcome in result.metadata.items if result else ():
                    by_item[outcome.item_id][s].append(outcome)
        options = HarnessRunnerOptions(call_timeout_s=None, retries=0, **sample.fields())
        for item in items_for(h, options):
            per_stage = by_item.get(item.id)
            last = per_stage[-1] if per_stage else []
            if not per_stage or len(last) != len(stages[-1]) or any(o.error for o in last):
                continue
            if setup.structure == "vote":
                tie = f"{setup.digest}|{h}|{item.id}|{plan.index}"
                answers = [o.answer or "" for o in last]
                score = item.score(majority(answers, tie_key=tie))
            else:
                score = sum(o.score for o in last) / len(last)
            every = [o for stage_outcomes in per_stage for o in stage_outcomes]
            out.append(
                ItemResult(
                    key=f"h{h}/g{plan.index}/{item.id}",
                    score=score,
                    cost_usd=sum(o.cost_usd for o in every),
                    latency_s=sum(max((o.latency_s for o in st), default=0.0) for st in per_stage),
                    calls=len(every),
                )
            )
    return out


@flow(name="search", persist_result=False, log_prints=False)
async def search_flow(
    models: list[str],
    config: RaceConfig,
    space: SetupSpace | None = None,
    runner: str = "local",
    run_id: str | None = None,
    timeout_s: float = 300.0,
    call_timeout_s: float | None = DEFAULT_CALL_TIMEOUT_S,
    retries: int = 3,
    preflight: bool = True,
) -> SearchReport:
    """Race the setups of ``models`` (see the module docstring); returns the report."""
    run_id = run_id or new_run_id()
    space = space or SetupSpace(tuple(models))
    await name_flow_run(run_name("search", f"{len(space.setups())} setups", run_id))
    race = Race(space, config, cost_function(config))
    seconds: list[float] = []
    while (plan := race.plan()) is not None:
        started = time.monotonic()
        gate = race.gate(plan)
        remaining = None if gate.budget_usd is None else max(0.0, gate.budget_usd - race.spent_usd)
        results = await generation_flow(
            run_id, config, plan.index, [s.name for s in plan.setups], plan.confirmation,
            remaining, runner, timeout_s, call_timeout_s, retries, preflight,
        )  # fmt: skip
        race.observe(plan, results)
        seconds.append(time.monotonic() - started)
        log_run(
            f"generation {plan.index}{' (confirmation)' if plan.confirmation else ''}: "
            f"{len(plan.setups)} setups, {len(race.alive)} still racing, spent "
            f"${race.spent_usd:.4f}, {seconds[-1]:.1f}s"
        )
    catalog = load_catalog()
    simulated = any(catalog.is_simulated(m) for m in space.models)
    report = report_of(race, run_id, simulated, seconds)
    log_run(report.spend_line)
    await publish_result(f"search-{_key(run_id)}", markdown(report), f"MAP-ELITE search {run_id}")
    return report


def _key(run_id: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in run_id.lower())
