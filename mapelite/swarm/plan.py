"""Swarm and batch planning, pure and Prefect-free: unit keys, stage plans, scores, results.

A *unit* is one harness run of one agent: (run id, stage, agent, harness [, repeat]). Its key is
deterministic, so a re-run with the same run id finds in the ledger which units are done.

Stage semantics (DESIGN.md "Patterns"), with the cases DESIGN.md leaves open made explicit:

- stage 0 answers the item prompt: role ``single`` when the pattern has one stage, else
  ``worker``;
- a later stage narrower than the one before is an ``aggregator`` stage. Agent j aggregates the
  previous agents i with ``i mod width == j`` (for a width-1 stage: all of them);
- a later stage as wide as or wider than the one before is a ``consumer`` stage. Agent j
  critiques and improves the one answer of previous agent ``j mod previous_width`` (after a
  width-1 stage: the single answer). Same-width stages (``:11``, ``:00``) are therefore
  one-to-one consumers, so a later stage always builds on the answers before it;
- agent i of a stage uses ``models[i mod len(models)]``; width-1 stages use the lead model
  (default: the first model of the tier).

Scores: the swarm score is the mean normalized score of the last stage's units; coordination
gain is that minus the first stage's mean; the best single agent is the first-stage model with
the highest mean score over its scored items in the run (the agents that answered alone), as
`mapelite.stats.verdicts.best_single_member` defines it for every output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mapelite.errors import InvalidInputError
from mapelite.ledger.outcomes import has_errors, mean_scored
from mapelite.schemas import AgentContext, HarnessResult, Role
from mapelite.stats.core import Interval
from mapelite.stats.score_intervals import ScoreInterval, pooled_interval
from mapelite.stats.verdicts import SwarmVerdicts, best_single_member


def unit_key(run_id: str, stage: int, agent: int, harness_id: int, repeat: int = 0) -> str:
    """Deterministic key of one unit, e.g. ``"r-1a2b/s0/a3/h7"`` (``/r2`` appended for repeats)."""
    key = f"{run_id}/s{stage}/a{agent}/h{harness_id}"
    return f"{key}/r{repeat}" if repeat else key


@dataclass(frozen=True)
class AgentPlan:
    stage: int
    agent: int
    model: str
    role: Role
    upstream_agents: tuple[int, ...]
    """Agents of the previous stage whose answers this agent reads (empty for stage 0)."""


@dataclass(frozen=True)
class StagePlan:
    index: int
    width: int
    role: Role
    agents: tuple[AgentPlan, ...]

    @property
    def models(self) -> list[str]:
        """Distinct models of the stage, in first-use order."""
        return list(dict.fromkeys(agent.model for agent in self.agents))


UPSTREAM_ANSWER_CAP = 8
"""Most distinct upstream answers an aggregator's prompt carries (the rest are vote counts)."""


def answers_read(agent: AgentPlan) -> int:
    """How many upstream answers the agent's prompt carries per item, at most: none in the
    first stage, the one answer a consumer improves, up to `UPSTREAM_ANSWER_CAP` distinct
    answers for an aggregator (fewer when upstream agents agree or fail)."""
    cap = 1 if agent.role == "consumer" else UPSTREAM_ANSWER_CAP
    return min(len(agent.upstream_agents), cap)


def stage_role(stages: Sequence[int], index: int) -> Role:
    if index == 0:
        return "single" if len(stages) == 1 else "worker"
    return "aggregator" if stages[index] < stages[index - 1] else "consumer"


def _upstream_agents(stages: Sequence[int], index: int, agent: int) -> tuple[int, ...]:
    if index == 0:
        return ()
    previous, width = stages[index - 1], stages[index]
    if width < previous:
        return tuple(i for i in range(previous) if i % width == agent)
    return (agent % previous,)


def plan_stages(
    stages: Sequence[int], models: Sequence[str], lead: str | None = None
) -> list[StagePlan]:
    """Agents of every stage with model, role and upstream agents, in stage order."""
    if not stages or any(width < 1 for width in stages):
        raise InvalidInputError(f"a swarm needs stages of width >= 1, got {list(stages)}")
    if not models:
        raise InvalidInputError("a swarm needs at least one model")
    lead_model = lead or models[0]
    plans: list[StagePlan] = []
    for index, width in enumerate(stages):
        role = stage_role(stages, index)
        agents = tuple(
            AgentPlan(
                stage=index,
                agent=agent,
                model=lead_model if width == 1 else models[agent % len(models)],
                role=role,
                upstream_agents=_upstream_agents(stages, index, agent),
            )
            for agent in range(width)
        )
        plans.append(StagePlan(index=index, width=width, role=role, agents=agents))
    return plans


def models_left_out(
    stages: Sequence[int], models: Sequence[str], lead: str | None = None
) -> list[str]:
    """Models of the tier that no agent of the pattern uses, in tier order.

    A tier wider than the pattern's widest stage is not spread over the stages: agent i of every
    stage keeps model ``models[i mod len(models)]`` (DESIGN.md), so the same unit key always
    names the same model (resume and run-id checks rely on it) and a stage's agents are the
    first models of the tier. The models past the widest stage (and not the lead) are left out,
    and the run says so (`left_out_note`); to run them, name a narrower tier or ``--models``."""
    used = {agent.model for plan in plan_stages(stages, models, lead) for agent in plan.agents}
    return [model for model in dict.fromkeys(models) if model not in used]


def left_out_note(
    pattern_code: str,
    stages: Sequence[int],
    models: Sequence[str],
    lead: str | None = None,
    label: str = "the tier",
) -> str | None:
    """One line naming the models a swarm leaves out, or None when it uses them all."""
    left = models_left_out(stages, models, lead)
    if not left:
        return None
    distinct = len(dict.fromkeys(models))
    return (
        f"{pattern_code} uses {distinct - len(left)} of {label}'s {distinct} models (its widest "
        f"stage has {max(stages)} agents); left out: {', '.join(left)}"
    )


def agent_context(
    run_id: str,
    pattern_code: str | None,
    agent: AgentPlan,
    harness_id: int,
    previous: Mapping[int, HarnessResult] | None = None,
    repeat: int = 0,
) -> AgentContext:
    """The context a runner needs for one unit; ``previous`` maps agent -> result of the stage
    before (only for this harness). Failed upstream runs contribute nothing."""
    upstream_results = [previous[i] for i in agent.upstream_agents if previous and i in previous]
    return AgentContext(
        run_id=run_id,
        unit_key=unit_key(run_id, agent.stage, agent.agent, harness_id, repeat),
        pattern=pattern_code,
        stage=agent.stage,
        agent=agent.agent,
        role=agent.role,
        upstream=[unit_key(run_id, agent.stage - 1, i, harness_id) for i in agent.upstream_agents],
        upstream_answers=upstream_answers(upstream_results),
        repeat=repeat,
    )


def upstream_answers(results: Iterable[HarnessResult]) -> dict[str, list[str]]:
    """Item id -> successful answers of the given results, in order.

    A failed run (``metadata.error``) and a failed or empty item are skipped: an error text is
    never passed on as if it were an answer.
    """
    answers: dict[str, list[str]] = {}
    for result in results:
        if result.metadata.error is not None:
            continue
        for item in result.metadata.items:
            if item.error is None and item.answer is not None and item.answer.strip():
                answers.setdefault(item.item_id, []).append(item.answer)
    return answers


def is_done(result: HarnessResult | None) -> bool:
    """A recorded unit counts as done unless any part of it failed (the run or one item):
    such units are re-run on resume, and the new entry supersedes the old one."""
    return result is not None and not has_errors(result)


def reusable(result: HarnessResult | None, setup: str) -> HarnessResult | None:
    """``result`` when it is a done unit of ``setup``: a recorded unit is reused only for the
    very setup (model and reasoning setting) the run plans for it."""
    return result if is_done(result) and result is not None and result.setup == setup else None


RunKind = Literal["swarm", "batch", "eval"]


@dataclass(frozen=True)
class RunPlan:
    """What a run will do, for checking that a reused run id belongs to the same run."""

    run_id: str
    kind: RunKind
    pattern: str | None
    """The swarm's pattern code; None for batch and eval."""
    models: Mapping[str, str]
    """Unit key -> setup (``model`` or ``model@setting``), for every unit the run plans."""

    def describe(self) -> str:
        return {"swarm": f"a swarm {self.pattern}", "batch": "a batch", "eval": "an eval"}[
            self.kind
        ]


def check_run_id_reuse(plan: RunPlan, recorded: Mapping[str, HarnessResult]) -> None:
    """Refuse (InvalidInputError, before any call) a run id whose recorded units belong to a
    different run: another kind (swarm pattern, batch, eval) or another model for a unit key.
    Otherwise a re-used run id would report another run's results as this run's.

    Batch and eval units share a key shape (stage 0, agent = model index): an eval is told
    apart by its units being agent 0 with seed 0, so the only batch an eval accepts is one
    model's single repeat (the very same harness runs)."""
    for key, result in sorted(recorded.items()):
        meta = result.metadata
        problem: str | None = None
        if meta.pattern != plan.pattern:
            found = f"a swarm {meta.pattern}" if meta.pattern else "a batch or eval"
            problem = f"it holds {found}, this is {plan.describe()}"
        elif plan.kind == "eval" and (meta.agent or meta.seed):
            problem = f"it holds a batch, this is {plan.describe()}"
        elif key in plan.models and result.setup != plan.models[key]:
            problem = f"unit {key} ran {result.setup}, this run plans {plan.models[key]}"
        if problem is not None:
            raise InvalidInputError(
                f"run id {plan.run_id} was used for a different run ({problem}); "
                "choose another run id or omit --run-id"
            )


def mean_score(results: Iterable[HarnessResult]) -> float | None:
    """Mean over the runs that scored anything (errors are not scores); None if none did."""
    return mean_scored(results)


# ---------------------------------------------------------------------------------------------
# Results returned by the flows (plain data; the CLI prints them, the flows return them).


class AgentScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: int
    agent: int
    model: str
    score: float
    interval: ScoreInterval | None = None


class StageSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int
    width: int
    role: Role
    models: list[str]
    upstream_width: int | None = None
    units: int = 0
    completed: int = Field(default=0, description="units with a result in the ledger")
    failed: int = 0
    reused: int = Field(default=0, description="units found done in the ledger, not re-run")
    mean_score: float | None = None
    interval: ScoreInterval | None = None
    duration_s: float = 0.0


class RunCost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    estimated_usd: float = 0.0
    worst_case_usd: float = 0.0
    actual_usd: float = Field(default=0.0, description="spend of this run id, resumed parts too")
    budget_usd: float | None = None


class RunOutcome(BaseModel):
    """What every run (swarm, batch, eval) reports besides its own results: which run, where it
    ran, how long, what it cost, whether its models were simulated and whether it finished."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    runner: str
    duration_s: float
    cost: RunCost
    simulated: bool = False
    complete: bool = True
    stopped_reason: str | None = None
    cached_items: int = Field(
        default=0, ge=0, description="items answered from the response cache (cost 0)"
    )
    reused_items: int = Field(
        default=0,
        ge=0,
        description="scored items taken from this run id's ledger entries, not paid again",
    )


class SwarmResult(RunOutcome):
    pattern: str
    pattern_name: str = "custom"
    tier: str
    lead: str
    harness_ids: list[int]
    stages: list[StageSummary]
    swarm_score: float | None = None
    coordination_gain: float | None = None
    best_single_agent: AgentScore | None = None
    models_left_out: list[str] = Field(
        default_factory=list, description="tier models no agent used (`models_left_out`)"
    )
    verdicts: SwarmVerdicts | None = None


class ModelSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    units: int
    failed: int
    mean_score: float | None
    interval: ScoreInterval | None = None


class BatchResult(RunOutcome):
    tier: str
    models: list[str]
    harness_ids: list[int]
    runs: int
    units: int
    completed: int
    failed: int
    reused: int
    per_model: list[ModelSummary]


class EvalResult(RunOutcome):
    model: str
    scores: dict[int, float]
    intervals: dict[int, Interval] = Field(default_factory=dict)
    failed: list[int]
    fitness: float | None = Field(description="None unless every one of the 8 harnesses scored")
    fitness_ci_low: float | None = None
    fitness_ci_high: float | None = None


def swarm_scores(
    plans: Sequence[StagePlan],
    results: Mapping[str, HarnessResult],
    run_id: str,
    harness_ids: Sequence[int],
) -> tuple[float | None, float | None, AgentScore | None]:
    """(swarm score, coordination gain, best single agent) from the units found in ``results``."""

    def stage_results(plan: StagePlan) -> list[HarnessResult]:
        keys = (unit_key(run_id, plan.index, a.agent, h) for a in plan.agents for h in harness_ids)
        return [results[k] for k in keys if k in results]

    last = mean_score(stage_results(plans[-1]))
    first = mean_score(stage_results(plans[0]))
    gain = last - first if last is not None and first is not None else None
    first_results = stage_results(plans[0])
    member = best_single_member(first_results)
    best = None
    if member is not None:
        best = AgentScore(
            stage=0,
            agent=member.agents[0],
            model=member.model,
            score=member.score,
            interval=pooled_interval(r for r in first_results if r.setup == member.model),
        )
    return last, gain, best
