"""Cost before spending it: calls × (prompt + expected completion tokens) × catalog prices.

A harness run makes one call per item. Its prompt tokens come from `Harness.prompt_tokens()` of
the items the run's options sample (`mapelite.banks.harness_for`: a 64k STORE sample is priced
at its real prompt sizes). Its completion tokens per item are what the ledger has measured for
the setup (`mapelite.catalog.observed`: the median over its harness runs, on that harness when
there are enough, else on all harnesses), and without any measurement the prior: the harness's
``expected_completion_tokens`` plus, for a model that reasons, the reasoning tokens its setting
is expected to spend (`mapelite.providers.reasoning`). The estimate says which it used per
setup (`CompletionBasis`). The worst case is ``max_tokens`` plus the reasoning budget. An
aggregator or consumer also reads upstream answers; the stages, agents and answers read come
from the swarm's own plan (`mapelite.swarm.plan_stages`, `answers_read`), so the estimate
counts what the runner sends.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from mapelite.catalog.models import Catalog, load_catalog
from mapelite.catalog.observed import TokenObservations, observed_tokens
from mapelite.providers.reasoning import (
    effective_reasoning,
    expected_reasoning,
    model_reasons,
    reasoning_budget,
)
from mapelite.schemas import ReasoningSetting, parse_setup
from mapelite.swarm.patterns import Pattern
from mapelite.swarm.plan import answers_read, plan_stages

if TYPE_CHECKING:  # keeps this module importable without loading every harness
    from mapelite.harnesses.base import Harness
    from mapelite.schemas import HarnessRunnerOptions

HarnessLookup = Callable[[int], "Harness"]


class CompletionBasis(BaseModel):
    """Where a setup's expected completion tokens came from, for the harnesses estimated."""

    source: Literal["observed", "prior", "observed+prior"]
    observed_harnesses: list[int] = Field(
        default_factory=list, description="harnesses priced at the ledger's measurement"
    )
    prior_harnesses: list[int] = Field(
        default_factory=list, description="harnesses priced at the prior (nothing measured)"
    )
    median_tokens: int | None = Field(
        default=None, description="observed completion tokens per item (median over runs)"
    )
    p90_tokens: int | None = Field(default=None, description="observed p90 per item")
    runs_observed: int = 0
    reasoning: str | None = Field(default=None, description="the setting the prior is for")
    prior_reasoning_tokens: int | None = Field(
        default=None, description="expected reasoning tokens per item of the prior"
    )

    def describe(self) -> str:
        """One line: ``observed: median 812, p90 1400 tokens/item (5 runs)`` or the prior."""
        parts = []
        if self.observed_harnesses:
            where = "" if not self.prior_harnesses else f" on h{_ids(self.observed_harnesses)}"
            parts.append(
                f"observed{where}: median {self.median_tokens}, p90 {self.p90_tokens} "
                f"tokens/item ({self.runs_observed} runs)"
            )
        if self.prior_harnesses:
            where = "" if not self.observed_harnesses else f" on h{_ids(self.prior_harnesses)}"
            thinking = self.prior_reasoning_tokens or 0
            extra = f" + {thinking} reasoning ({self.reasoning})" if thinking else ""
            parts.append(f"prior{where}: harness answer tokens{extra}")
        return "; ".join(parts)


def _ids(ids: Sequence[int]) -> str:
    return ",".join(str(i) for i in ids)


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
    completion_basis: dict[str, CompletionBasis] = Field(
        default_factory=dict,
        description="per setup: observed completion tokens (median/p90) or the prior",
    )

    @property
    def fewest_items_per_harness(self) -> int:
        """The smallest per-harness sample: what bounds the difference the run can detect."""
        return min(self.items_per_harness.values(), default=0)


@dataclass
class _Tally:
    """Running totals over harness runs."""

    catalog: Catalog
    reasoning_of: Callable[[str], ReasoningSetting | None] = lambda model: None
    """The reasoning setting each setup runs with (its expected reasoning tokens are billed)."""
    observations: TokenObservations = field(default_factory=TokenObservations)
    basis: dict[str, CompletionBasis] = field(default_factory=dict)
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
        setting = self.reasoning_of(model)
        per_item, thinking_per_item = self.expected_out(model, harness, setting)
        thinking = items * thinking_per_item
        tokens_out = items * per_item
        cost = (
            call_cost_usd(
                model, tokens_in, tokens_out, catalog=self.catalog, reasoning_tokens=thinking
            )
            * times
        )
        budget = items * reasoning_budget(setting)
        worst = call_cost_usd(
            model,
            harness.prompt_tokens() + worst_upstream_in,
            items * harness.max_tokens + budget,
            catalog=self.catalog,
            reasoning_tokens=budget,
        )
        self.calls += items * times
        self.upstream_answers += items * upstream_answers * times
        self.tokens += (tokens_in + tokens_out) * times
        self.cost += cost
        self.worst += worst * times
        self.per_model[model] = self.per_model.get(model, 0.0) + cost

    def expected_out(
        self, setup: str, harness: Harness, setting: ReasoningSetting | None
    ) -> tuple[int, int]:
        """(completion tokens, reasoning tokens among them) one item of ``harness`` is expected
        to spend under ``setup``; notes the basis. Observed tokens include the reasoning (priced
        as output: the summary keeps no split)."""
        basis = self.basis.setdefault(setup, CompletionBasis(source="prior"))
        seen = self.observations.lookup(setup, harness.id)
        if seen is not None:
            _add_harness(basis.observed_harnesses, harness.id)
            basis.median_tokens, basis.p90_tokens = seen.median, seen.p90
            basis.runs_observed = max(basis.runs_observed, seen.runs)
            basis.source = "observed" if not basis.prior_harnesses else "observed+prior"
            return seen.median, 0
        thinking = expected_reasoning(setting)
        _add_harness(basis.prior_harnesses, harness.id)
        basis.reasoning = None if setting is None else str(setting)
        basis.prior_reasoning_tokens = thinking
        basis.source = "prior" if not basis.observed_harnesses else "observed+prior"
        return harness.expected_completion_tokens + thinking, thinking


def _add_harness(ids: list[int], harness_id: int) -> None:
    if harness_id not in ids:
        ids.append(harness_id)
        ids.sort()


def expected_completion_tokens(
    setup: str,
    harness: Harness,
    *,
    catalog: Catalog | None = None,
    observations: TokenObservations | None = None,
    explicit: ReasoningSetting | None = None,
) -> tuple[int, int]:
    """(completion tokens, reasoning tokens among them) one item of ``harness`` is expected to
    spend under ``setup``: the one rule the estimate and the run's budget share."""
    catalog = catalog or load_catalog()
    tally = _Tally(catalog, reasoning_lookup(catalog, None, explicit), observations or _observed())
    return tally.expected_out(setup, harness, tally.reasoning_of(setup))


def _observed() -> TokenObservations:
    """What the ledger in use had measured when this process first asked: a run prices its
    estimate and every unit's budget reservation on the same figures, and does not read the
    summary again after each of its own appends."""
    from mapelite.config.settings import get_settings

    path = get_settings().ledger
    if path not in _SNAPSHOTS:
        _SNAPSHOTS[path] = observed_tokens(path)
    return _SNAPSHOTS[path]


_SNAPSHOTS: dict[Path, TokenObservations] = {}


def call_cost_usd(
    model: str,
    tokens_in: int,
    tokens_out: int,
    *,
    catalog: Catalog | None = None,
    reasoning_tokens: int = 0,
) -> float:
    """USD for ``tokens_in``/``tokens_out`` at the catalog prices of ``model``; the
    ``reasoning_tokens`` among ``tokens_out`` at its ``internal_reasoning`` price where the
    catalog has one (else they are output tokens like any other)."""
    entry = (catalog or load_catalog()).get(model)
    reasoning = min(max(0, reasoning_tokens), tokens_out)
    reasoning_price = entry.internal_reasoning_price_per_m
    if reasoning_price is None:
        reasoning_price = entry.output_price_per_m
    return (
        tokens_in * entry.input_price_per_m
        + (tokens_out - reasoning) * entry.output_price_per_m
        + reasoning * reasoning_price
    ) / 1e6


def reasoning_lookup(
    catalog: Catalog,
    options: HarnessRunnerOptions | None,
    explicit: ReasoningSetting | None = None,
) -> Callable[[str], ReasoningSetting | None]:
    """Each setup's reasoning setting as the runner resolves it (`effective_reasoning`): its
    own ``@setting``, else the options', the config file's, the default for evaluation; for the
    models that reason only: one that does not spends no reasoning tokens whatever is sent."""
    from mapelite.config.settings import get_settings

    if explicit is None and options is not None:
        explicit = options.reasoning
    settings = get_settings()

    def setting_of(setup: str) -> ReasoningSetting | None:
        model, own = parse_setup(setup)
        if not model_reasons(model, settings, catalog):
            return None
        return effective_reasoning(model, own or explicit, settings, catalog)

    return setting_of


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
        completion_basis={m: tally.basis[m] for m in distinct if m in tally.basis},
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
    observations: TokenObservations | None = None,
) -> CostEstimate:
    """Every model runs every harness ``runs`` times (on the items ``options`` sample)."""
    catalog = catalog or load_catalog()
    tally = _Tally(catalog, reasoning_lookup(catalog, options), observations or _observed())
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
    observations: TokenObservations | None = None,
) -> CostEstimate:
    """Each agent of each stage runs each harness once (``runs`` times the whole swarm), on
    the items ``options`` sample."""
    catalog = catalog or load_catalog()
    tally = _Tally(catalog, reasoning_lookup(catalog, options), observations or _observed())
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
