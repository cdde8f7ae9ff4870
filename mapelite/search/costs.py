"""A setup's cost and latency per item before running it: what places it in a cell and what the
budget gate projects.

Per call: prompt tokens of the harness's items plus the answers it is shown (each at the
harness's expected completion), and the expected completion plus the reasoning setting's
thinking tokens out; worst case: every output at its cap (the harness's ``max_tokens`` plus the
thinking budget). Prices come from the catalog. Latency: stages run one after another, a stage
as long as its slowest agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from mapelite.catalog.cost import call_cost_usd
from mapelite.catalog.models import Catalog, load_catalog
from mapelite.providers.simulation import EFFORT_TOKENS, effort_of, profile_for
from mapelite.schemas import ReasoningSetting
from mapelite.search.setups import Agent, Setup

DEFAULT_LATENCY_S = 1.0
DEFAULT_TOKENS_PER_S = 50.0


@dataclass(frozen=True)
class HarnessTokens:
    """What one call of a harness reads and writes, on average, and its output cap."""

    prompt: int
    completion: int
    max_tokens: int


@lru_cache(maxsize=64)
def harness_tokens(harness_id: int, bank: str = "gen", items: int = 20) -> HarnessTokens:
    from mapelite.banks.registry import sample_items
    from mapelite.harnesses import get_harness
    from mapelite.harnesses.base import estimate_tokens

    harness = get_harness(harness_id)
    sample = sample_items(harness_id, items, 0, bank=bank)
    prompt = sum(estimate_tokens(i.prompt) for i in sample) // max(1, len(sample))
    return HarnessTokens(prompt, harness.expected_completion_tokens, harness.max_tokens)


def mean_tokens(harness_ids: Sequence[int]) -> HarnessTokens:
    """Per-call tokens averaged over the harnesses of an objective."""
    parts = [harness_tokens(h) for h in harness_ids]
    return HarnessTokens(
        sum(p.prompt for p in parts) // len(parts),
        sum(p.completion for p in parts) // len(parts),
        max(p.max_tokens for p in parts),
    )


def thinking_tokens(setting: ReasoningSetting | None) -> tuple[int, int]:
    """(expected, cap) thinking tokens of one call at a reasoning setting: the simulator's mean
    and twice it (it never draws more); a token budget caps itself."""
    if setting is None:
        return 0, 0
    if setting.budget_tokens is not None:
        return effort_of(setting)[1], max(setting.budget_tokens, 2 * effort_of(setting)[1])
    expected = EFFORT_TOKENS[setting.effort or "off"]
    return expected, 2 * expected


@dataclass(frozen=True)
class SetupCost:
    usd: float
    worst_usd: float
    calls: int
    latency_s: float


def setup_cost(setup: Setup, tokens: HarnessTokens, catalog: Catalog | None = None) -> SetupCost:
    """Expected and worst-case USD, calls and expected latency of one item."""
    catalog = catalog or load_catalog()
    usd = worst = latency = 0.0
    calls = 0
    for stage in setup.stages():
        slowest = 0.0
        for member in stage:
            shown = len(member.reads)
            think, think_cap = thinking_tokens(member.agent.setting)
            tokens_in = tokens.prompt + shown * tokens.completion
            out = tokens.completion + think
            cap = tokens.max_tokens + think_cap
            model = member.agent.model
            usd += call_cost_usd(model, tokens_in, out, catalog=catalog)
            worst += call_cost_usd(model, tokens.prompt + shown * cap, cap, catalog=catalog)
            calls += 1
            slowest = max(slowest, call_latency_s(member.agent, out, catalog))
        latency += slowest
    return SetupCost(usd, worst, calls, latency)


def call_latency_s(agent: Agent, tokens_out: int, catalog: Catalog) -> float:
    entry = catalog.get(agent.model)
    if entry.simulated:
        profile = profile_for(entry.name, entry.skill or 0.5)
        return profile.latency_s + tokens_out / profile.tokens_per_s
    return DEFAULT_LATENCY_S + tokens_out / DEFAULT_TOKENS_PER_S
