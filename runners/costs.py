"""What a harness run's calls cost: the provider's billed ``usage.cost`` where it reports one,
else catalog prices (reasoning tokens at the ``internal_reasoning`` price); attempts refused
after generation (an empty answer) were billed too and count."""

from __future__ import annotations

from mapelite.catalog.models import Catalog
from mapelite.errors import MapEliteError
from mapelite.providers.base import GenerateResponse
from mapelite.schemas import CostSource
from runners.calls import CallStats


def estimated_cost(
    model: str,
    tokens_in: int,
    tokens_out: int,
    catalog: Catalog | None = None,
    *,
    reasoning_tokens: int = 0,
) -> float:
    """Cost from catalog prices (the catalog in use unless given; reasoning tokens at the
    ``internal_reasoning`` price where there is one); 0 when it cannot price the model."""
    from mapelite.catalog.cost import call_cost_usd

    try:
        cost = call_cost_usd(
            model, tokens_in, tokens_out, catalog=catalog, reasoning_tokens=reasoning_tokens
        )
    except MapEliteError:
        return 0.0
    return max(0.0, float(cost))


def billed_cost(model: str, usage: GenerateResponse, catalog: Catalog) -> tuple[float, bool]:
    """(USD, from the provider) of one generated reply: ``usage.cost`` where the provider
    reported it, else the catalog's prices for its tokens."""
    if usage.cost_usd is not None:
        return usage.cost_usd, True
    cost = estimated_cost(
        model, usage.tokens_in, usage.tokens_out, catalog, reasoning_tokens=usage.reasoning_tokens
    )
    return cost, False


def refused_cost(model: str, stats: CallStats, catalog: Catalog) -> tuple[float, bool]:
    """What the attempts refused after generation cost (they were billed), and whether every
    one of those costs came from the provider."""
    costs = [billed_cost(model, usage, catalog) for usage in stats.billed]
    return sum(cost for cost, _ in costs), all(exact for _, exact in costs)


def cost_source(model: str, catalog: Catalog, from_provider: bool) -> CostSource:
    if catalog.is_simulated(model):
        return "simulated"
    return "provider" if from_provider else "estimated"
