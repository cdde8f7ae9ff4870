"""Cost before spending it: calls × (prompt + expected completion tokens) × catalog prices.

A harness run makes one call per item. Its prompt tokens come from `Harness.prompt_tokens()` of
the items the run's options sample (`mapelite.banks.harness_for`: a 64k STORE sample is priced
at its real prompt sizes);
its completion tokens are ``expected_completion_tokens`` per item (``max_tokens`` for the worst
case). An aggregator or consumer also reads upstream answers; that allowance is bounded the way
the runner bounds the prompt (at most `UPSTREAM_ANSWER_CAP` distinct answers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mapelite.catalog import Catalog, load_catalog
from mapelite.patterns import Pattern

if TYPE_CHECKING:  # keeps this module importable without loading every harness
    from mapelite.harnesses.base import Harness
    from mapelite.schemas import HarnessRunnerOptions

UPSTREAM_ANSWER_CAP = 8
"""Most distinct upstream answers an aggregator prompt carries (the rest are vote counts)."""

HarnessLookup = Callable[[int], "Harness"]


class CostEstimate(BaseModel):
    tier: str
    model_count: int
    pattern: str | None = None
    runs: int = 1
    harness_ids: list[int] = Field(default_factory=list)
    total_calls: int
    avg_price_per_m: float = Field(description="blended USD per M tokens of the estimate")
    estimated_tokens: int
    estimated_cost: float
    worst_case_cost: float
    warning: str | None = None
    simulated: bool = False
    per_model_cost: dict[str, float] = Field(default_factory=dict)


@dataclass
class _Tally:
    """Running totals over harness runs."""

    catalog: Catalog
    calls: int = 0
    tokens: int = 0
    cost: float = 0.0
    worst: float = 0.0
    per_model: dict[str, float] = field(default_factory=dict)

    def add_run(self, model: str, harness: Harness, upstream_answers: int, times: int = 1) -> None:
        """``times`` harness runs of ``harness`` by ``model`` reading ``upstream_answers``."""
        items = len(harness.items)
        upstream_in = items * upstream_answers * harness.expected_completion_tokens
        worst_upstream_in = items * upstream_answers * harness.max_tokens
        tokens_in = harness.prompt_tokens() + upstream_in
        tokens_out = items * harness.expected_completion_tokens
        cost = call_cost_usd(model, tokens_in, tokens_out, catalog=self.catalog) * times
        worst = call_cost_usd(
            model,
            harness.prompt_tokens() + worst_upstream_in,
            items * harness.max_tokens,
            catalog=self.catalog,
        )
        self.calls += items * times
        self.tokens += (tokens_in + tokens_out) * times
        self.cost += cost
        self.worst += worst * times
        self.per_model[model] = self.per_model.get(model, 0.0) + cost


def call_cost_usd(
    model: str, tokens_in: int, tokens_out: int, *, catalog: Catalog | None = None
) -> float:
    """USD for ``tokens_in``/``tokens_out`` at the catalog prices of ``model``."""
    entry = (catalog or load_catalog()).get(model)
    return (tokens_in * entry.input_price_per_m + tokens_out * entry.output_price_per_m) / 1e6


def _default_harness(harness_id: int) -> Harness:
    from mapelite.harnesses import get_harness

    return get_harness(harness_id)


def sampled_lookup(options: HarnessRunnerOptions | None) -> HarnessLookup:
    """Harnesses holding the items ``options`` sample (bank, items, seed, knobs, item_limit)."""
    if options is None:
        return _default_harness
    from mapelite.banks import harness_for

    return lambda harness_id: harness_for(harness_id, options)


def warning_text(cost: float, warn_usd: float) -> str | None:
    if cost <= warn_usd:
        return None
    return (
        f"estimated cost ${cost:.4f} is above MAPELITE_WARN_USD ${warn_usd:.2f}; "
        "confirm with --yes to run"
    )


def _finish(
    tally: _Tally,
    models: Sequence[str],
    harness_ids: Sequence[int],
    *,
    tier: str,
    pattern: str | None,
    runs: int,
    warn_usd: float,
) -> CostEstimate:
    distinct = list(dict.fromkeys(models))
    blended = tally.cost / tally.tokens * 1e6 if tally.tokens else 0.0
    return CostEstimate(
        tier=tier,
        model_count=len(distinct),
        pattern=pattern,
        runs=runs,
        harness_ids=list(harness_ids),
        total_calls=tally.calls,
        avg_price_per_m=blended,
        estimated_tokens=tally.tokens,
        estimated_cost=tally.cost,
        worst_case_cost=tally.worst,
        warning=warning_text(tally.cost, warn_usd),
        simulated=bool(distinct) and all(tally.catalog.get(m).simulated for m in distinct),
        per_model_cost=dict(tally.per_model),
    )


def estimate_batch(
    models: list[str],
    harness_ids: list[int],
    runs: int,
    *,
    tier: str,
    warn_usd: float = 0.5,
    catalog: Catalog | None = None,
    harness_lookup: HarnessLookup | None = None,
    options: HarnessRunnerOptions | None = None,
) -> CostEstimate:
    """Every model runs every harness ``runs`` times (on the items ``options`` sample)."""
    tally = _Tally(catalog or load_catalog())
    lookup = harness_lookup or sampled_lookup(options)
    for harness_id in harness_ids:
        harness = lookup(harness_id)
        for model in models:
            tally.add_run(model, harness, upstream_answers=0, times=runs)
    return _finish(
        tally, models, harness_ids, tier=tier, pattern=None, runs=runs, warn_usd=warn_usd
    )


def stage_models(pattern: Pattern, models: Sequence[str], lead: str | None) -> list[list[str]]:
    """Model of each agent, stage by stage: width-1 stages use the lead, others rotate the tier."""
    if not models:
        return [[] for _ in pattern.stages]
    leader = lead or models[0]
    return [
        [leader] if width == 1 else [models[i % len(models)] for i in range(width)]
        for width in pattern.stages
    ]


def upstream_answers(pattern: Pattern, stage: int) -> int:
    """How many upstream answers an agent of ``stage`` reads per item (bounded)."""
    if stage == 0:
        return 0
    return min(pattern.stages[stage - 1], UPSTREAM_ANSWER_CAP)


def estimate_swarm(
    pattern: Pattern,
    models: list[str],
    harness_ids: list[int],
    *,
    tier: str,
    lead: str | None = None,
    warn_usd: float = 0.5,
    runs: int = 1,
    catalog: Catalog | None = None,
    harness_lookup: HarnessLookup | None = None,
    options: HarnessRunnerOptions | None = None,
) -> CostEstimate:
    """Each agent of each stage runs each harness once (``runs`` times the whole swarm), on
    the items ``options`` sample."""
    tally = _Tally(catalog or load_catalog())
    lookup = harness_lookup or sampled_lookup(options)
    plan = stage_models(pattern, models, lead)
    for harness_id in harness_ids:
        harness = lookup(harness_id)
        for stage, agents in enumerate(plan):
            for model in agents:
                tally.add_run(model, harness, upstream_answers(pattern, stage), times=runs)
    used = [m for agents in plan for m in agents]
    return _finish(
        tally, used, harness_ids, tier=tier, pattern=pattern.code, runs=runs, warn_usd=warn_usd
    )
