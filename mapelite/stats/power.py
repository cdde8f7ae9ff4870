"""Power before running: what a sample of paired items can detect, and what a difference needs.

Normal approximation for a two-sided test at 95% with 80% power on paired items (Miller, "Adding
Error Bars to Evals", sec. 5). Planning values when nothing is measured yet: accuracy p = 0.7 and
a correlation of 0.5 between two models' scores on the same item, which give Miller's numbers:
detecting 0.10 needs ~165 paired items (~330 unpaired); 100 paired items detect ~0.13.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from pydantic import BaseModel, ConfigDict

from mapelite.stats.core import LEVEL, normal_quantile

POWER = 0.80
DEFAULT_P = 0.7  # a typical accuracy of the models we evaluate, for power before any data
DEFAULT_CORRELATION = 0.5  # between two models' item scores (Miller's planning value)
_STANDARD_NORMAL = NormalDist()


def _difference_variance(p: float, correlation: float, paired: bool) -> float:
    """Per-item variance of a - b for two scores of variance p(1-p) each."""
    variance = p * (1 - p)
    return 2 * variance * (1 - correlation) if paired else 2 * variance


def detectable_difference(
    n_items: int,
    *,
    p: float = DEFAULT_P,
    correlation: float = DEFAULT_CORRELATION,
    paired: bool = True,
    power: float = POWER,
    level: float = LEVEL,
) -> float:
    """Smallest true difference a two-sided test at ``level`` detects with ``power`` when both
    sides answer ``n_items`` items (paired: the same items, scores correlated by
    ``correlation``; unpaired: ``n_items`` each). Infinity for no items."""
    if n_items <= 0:
        return math.inf
    z = normal_quantile(0.5 + level / 2) + normal_quantile(power)
    return z * math.sqrt(_difference_variance(p, correlation, paired) / n_items)


def items_needed(
    difference: float,
    *,
    p: float = DEFAULT_P,
    correlation: float = DEFAULT_CORRELATION,
    paired: bool = True,
    power: float = POWER,
    level: float = LEVEL,
) -> int:
    """Items (per side) to detect ``difference`` with ``power`` (inverse of
    `detectable_difference`, rounded up)."""
    if difference <= 0:
        raise ValueError("the difference to detect must be positive")
    z = normal_quantile(0.5 + level / 2) + normal_quantile(power)
    return math.ceil(z * z * _difference_variance(p, correlation, paired) / difference**2)


class DetectionPlan(BaseModel):
    """What it takes to detect ``difference`` per harness at 80% power (paired)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    difference: float
    items_per_harness: int
    cost_usd: float | None


def detection_sentence(n_items: int) -> str:
    """The estimate's line, e.g. ``detects a difference of >= 0.14 per harness at 80% power``."""
    if n_items <= 0:
        return "detects nothing: no items per harness"
    return (
        f"detects a difference of ≥ {detectable_difference(n_items):.2f} per harness at "
        f"{POWER:.0%} power ({n_items} paired items per harness, planning values p = "
        f"{DEFAULT_P}, correlation {DEFAULT_CORRELATION})"
    )


def plan_detection(
    difference: float, n_items: int | None = None, cost_usd: float | None = None
) -> DetectionPlan:
    """Items per harness to detect ``difference`` (`items_needed`), and, given a run of
    ``n_items`` per harness costing ``cost_usd``, the cost of a run that size (cost grows with
    the items answered)."""
    needed = items_needed(difference)
    cost = None
    if cost_usd is not None and n_items:
        cost = cost_usd * needed / n_items
    return DetectionPlan(difference=difference, items_per_harness=needed, cost_usd=cost)


def power_of(
    difference: float,
    n_items: int,
    *,
    variance_of_difference: float,
    level: float = LEVEL,
) -> float:
    """Probability that a two-sided test at ``level`` detects a true ``difference`` over
    ``n_items`` paired items with the given per-item variance of the difference."""
    if n_items <= 0 or variance_of_difference <= 0:
        return 0.0
    shift = abs(difference) / math.sqrt(variance_of_difference / n_items)
    z = normal_quantile(0.5 + level / 2)
    return _STANDARD_NORMAL.cdf(shift - z) + _STANDARD_NORMAL.cdf(-shift - z)
