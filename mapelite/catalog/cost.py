"""Cost before spending it: calls × (prompt + expected completion tokens) × catalog prices.

A harness run makes one call per item. Its prompt tokens come from `Harness.prompt_tokens()` of
the items the run's options sample (`mapelite.banks.harness_for`: a 64k STORE sample is priced
at its real prompt sizes);
its completion tokens are ``expected_completion_tokens`` per item (``max_tokens`` for the worst
case). An aggregator or consumer also reads upstream answers; the stages, agents and answers read
come from the swarm's own plan (`mapelite.swarm.plan_stages`, `answers_read`), so the estimate
counts what the runner sends.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mapelite.catalog.models import Catalog, load_catalog
from mapelite.swarm.patterns import Pattern
from mapelite.swarm.plan import answers_read, plan_stages

if TYPE_CHECKING:  # keeps this module importable without loading every harness
    from mapelite.harnesses.base import Harness
    from mapelite.schemas import HarnessRunnerOptions

HarnessLookup = Callable[[int], "Harness"]


class CostEstimate(BaseModel):
    tier: str
    model_count: int
    pattern: str | None = None
    runs: int = 1
    harness_ids: list[int] = Field(default_factory=list)
    total_calls: int
    upstream_answers: int = Field(
        default=0, description="answers of earlier stages carried in the prompts, all calls"
    )
    avg_price_per_m: float = Field(description="blended USD per M tokens of the estimate")
    estimated_tokens: int
    estimated_cost: float
    worst_case_cost: float
    warning: str | None = None
    simulated: bool = False
    per_model_cost: dict[str, float] = Field(default_factory=dict)
    models_left_out: list[str] = Field(
        default_factory=list, description="tier models a swarm pattern does not use"
    )
    variable_price_models: list[str] = Field(
        default_factory=list,
        description="models priced per request by a router: not in the estimate (priced 0)",
    )
    items_per_harness: dict[int, int] = Field(
        default_factory=dict,
        description="distinct items one run of each harness answers (the run's item sample)",
    )

    @property
    def fewest_items_per_harness(self) -> int:
        """The smallest per-harness sample: what bounds the difference the run can detect."""
        return min(self.items_per_harness.values(), default=0)


@dataclass
class _Tally:
    """Running totals over harness runs."""

    catalog: Catalog
    calls: int = 0
    upstream_answers: int = 0
    tokens: int = 0
    cost: float = 0.0
    worst: float = 0.0
    per_model: dict[str, float] = field(default_factory=dict)
    items_per_harness: dict[int, int] = field(default_factory=dict)

    def add_run(self, model: str, harness: Harness, upstream_answers: int, times: int = 1) -> None:
        """``times`` harness runs of ``harness`` by ``model`` reading ``upstream_answers``."""
        items = len(harness.items)
        self.items_per_harness[harness.id] = items
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
        self.upstream_answers += items * upstream_answers * times
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


def format_usd(value: float) -> str:
    """Dollars with enough digits to be true: ``$0.50``, ``$0.001``, ``$0.000042``, ``$12.30``.

    At least two decimals; below a dollar, three significant digits (at most 10 decimals), so a
    threshold such as 0.001 never prints as ``$0.00``."""
    if value != value or value in (float("inf"), float("-inf")):
        return f"${value}"
    magnitude = abs(value)
    decimals = 2
    if 0 < magnitude < 1:
        decimals = min(10, 2 - math.floor(math.log10(magnitude)))
    text = f"{magnitude:.{decimals}f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    sign = "-" if value < 0 and float(text) != 0 else ""
    return f"{sign}${whole}.{fraction.ljust(2, '0')}"


def sampled_lookup(options: HarnessRunnerOptions | None) -> HarnessLookup:
    """Harnesses holding the items ``options`` sample (bank, items, seed, knobs, item_limit)."""
    if options is None:
        return _default_harness
    from mapelite.banks import harness_for

    return lambda harness_id: harness_for(harness_id, options)


def warning_text(cost: float, warn_usd: float, worst_usd: float | None = None) -> str | None:
    """The cost gate's line; it names the estimate (and its worst case): when the gate refuses,
    it is the only line a command prints."""
    if cost <= warn_usd:
        return None
    worst = f" (worst case {format_usd(worst_usd)})" if worst_usd is not None else ""
    return (
        f"estimated cost {format_usd(cost)}{worst} is above MAPELITE_WARN_USD "
        f"{format_usd(warn_usd)}; re-run with --yes to accept it"
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
        upstream_answers=tally.upstream_answers,
        avg_price_per_m=blended,
        estimated_tokens=tally.tokens,
        estimated_cost=tally.cost,
        worst_case_cost=tally.worst,
        warning=warning_text(tally.cost, warn_usd, tally.worst),
        simulated=bool(distinct) and all(tally.catalog.get(m).simulated for m in distinct),
        per_model_cost=dict(tally.per_model),
        variable_price_models=[m for m in distinct if tally.catalog.get(m).variable_price],
        items_per_harness=dict(tally.items_per_harness),
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
    agents = [
        agent for stage in plan_stages(pattern.stages, models, lead) for agent in stage.agents
    ]
    for harness_id in harness_ids:
        harness = lookup(harness_id)
        for agent in agents:
            tally.add_run(agent.model, harness, answers_read(agent), times=runs)
    used = [agent.model for agent in agents]
    estimate = _finish(
        tally, used, harness_ids, tier=tier, pattern=pattern.code, runs=runs, warn_usd=warn_usd
    )
    estimate.models_left_out = [m for m in dict.fromkeys(models) if m not in set(used)]
    return estimate
