"""Statistics of item scores, pure Python: intervals, paired tests, corrections and power.

Anchors: Miller, "Adding Error Bars to Evals" (arXiv 2411.00640) — clustered standard errors when
items share a template, paired differences when two models answer the same items, power before
running; Bowyer et al. (arXiv 2503.01747) — below a few hundred items prefer Wilson intervals to
the central-limit one for 0/1 scores.

- A mean of 0/1 scores gets a Wilson interval (with a design-effect sample size when items are
  clustered, as Korn & Graubard do for survey proportions); partial credit gets a t interval on
  the cluster-robust standard error with (clusters - 1) degrees of freedom.
- A cluster is an item family (items generated from one template or sharing a passage) or one
  item answered several times (`ItemOutcome.cluster`).
- Paired differences: exact McNemar for 0/1 scores without clusters, otherwise a paired t on the
  cluster totals of the differences.
- Errors are not scores: callers pass `ItemOutcome`s and only those with ``scored`` count.

Power calculations (what a sample can detect) are in `mapelite.stats.power`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from statistics import NormalDist

from pydantic import BaseModel, ConfigDict

from mapelite.schemas import ItemOutcome

LEVEL = 0.95
_STANDARD_NORMAL = NormalDist()


class Interval(BaseModel):
    """A mean with its sample size and confidence interval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mean: float
    n: int
    clusters: int
    ci_low: float
    ci_high: float
    method: str  # "wilson", "t", or "none" (no scored item)


class PairedDifference(BaseModel):
    """Mean of a - b over items both answered, with CI and a two-sided p-value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    difference: float
    n: int
    clusters: int
    ci_low: float
    ci_high: float
    p_value: float
    method: str  # "mcnemar", "paired-t", or "none"

    @property
    def significant(self) -> bool:
        return self.p_value < 1 - LEVEL


# ----------------------------------------------------------------------------------------------
# Distributions (no scipy in the core: the t and binomial tails are all we need).


def normal_quantile(probability: float) -> float:
    return _STANDARD_NORMAL.inv_cdf(probability)


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) (continued fraction, modified Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _incomplete_beta(b, a, 1 - x)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(log_front + a * math.log(x) + b * math.log1p(-x)) / a
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return front * result


def t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_two_sided_p(t: float, df: float) -> float:
    return min(1.0, _incomplete_beta(df / 2, 0.5, df / (df + t * t)))


def t_quantile(probability: float, df: float) -> float:
    """Inverse of `t_cdf` (bisection on the monotone CDF; 1e-12 is far below what we print)."""
    if df > 1e7:
        return normal_quantile(probability)
    low, high = -1e3, 1e3
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2


# ----------------------------------------------------------------------------------------------
# One sample: mean and interval.


def wilson(successes: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion; ``n`` may be an effective (non-integer) size."""
    if n <= 0:
        return 0.0, 1.0
    z = normal_quantile(0.5 + level / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def cluster_moments(scores: Sequence[float], clusters: Sequence[str]) -> tuple[float, float, int]:
    """(mean, cluster-robust variance of the mean, number of clusters).

    Variance = G/(G-1) * sum_c (T_c - n_c * mean)^2 / n^2 (the CR1 sandwich for a mean); with one
    cluster it cannot be estimated and is returned as infinity.
    """
    n = len(scores)
    if n == 0:
        return 0.0, math.inf, 0
    mean = sum(scores) / n
    totals: dict[str, list[float]] = {}
    for score, cluster in zip(scores, clusters, strict=True):
        entry = totals.setdefault(cluster, [0.0, 0.0])
        entry[0] += score
        entry[1] += 1
    g = len(totals)
    if g < 2:
        return mean, math.inf, g
    squares = sum((total - count * mean) ** 2 for total, count in totals.values())
    return mean, g / (g - 1) * squares / (n * n), g


def interval_from_moments(
    mean: float,
    n: int,
    variance: float,
    clusters: int,
    *,
    binary: bool,
    level: float = LEVEL,
) -> Interval:
    """The interval of a mean known by its moments (also how profiles pool ledger entries).

    0/1 scores: Wilson at the effective size p(1-p)/variance (= n when every item is its own
    cluster), capped at n; partial credit: mean +- t(clusters - 1) * sqrt(variance), clipped to
    [0, 1]. No scored item gives the whole range [0, 1].
    """
    if n <= 0:
        return Interval(mean=0.0, n=0, clusters=0, ci_low=0.0, ci_high=1.0, method="none")
    if binary:
        if clusters >= n:
            effective = float(n)
        elif 0 < variance < math.inf and 0 < mean < 1:
            effective = min(float(n), mean * (1 - mean) / variance)
        else:
            effective = float(max(clusters, 1))
        low, high = wilson(mean * effective, effective, level)
        return Interval(
            mean=mean, n=n, clusters=clusters, ci_low=low, ci_high=high, method="wilson"
        )
    if clusters < 2 or not math.isfinite(variance):
        return Interval(mean=mean, n=n, clusters=clusters, ci_low=0.0, ci_high=1.0, method="t")
    half = t_quantile(0.5 + level / 2, clusters - 1) * math.sqrt(variance)
    return Interval(
        mean=mean,
        n=n,
        clusters=clusters,
        ci_low=max(0.0, mean - half),
        ci_high=min(1.0, mean + half),
        method="t",
    )


def is_binary(scores: Iterable[float]) -> bool:
    return all(score in (0.0, 1.0) for score in scores)


def mean_interval(
    scores: Sequence[float], clusters: Sequence[str] | None = None, level: float = LEVEL
) -> Interval:
    """Mean of item scores with its interval; ``clusters`` default to one per item."""
    labels = list(clusters) if clusters is not None else [str(i) for i in range(len(scores))]
    mean, variance, g = cluster_moments(scores, labels)
    return interval_from_moments(
        mean, len(scores), variance, g, binary=is_binary(scores), level=level
    )


def outcome_interval(outcomes: Iterable[ItemOutcome], level: float = LEVEL) -> Interval:
    """Mean score of the scored outcomes (errors are not scores), clustered by family/repeat."""
    scored = [o for o in outcomes if o.scored]
    return mean_interval([o.score for o in scored], [o.cluster for o in scored], level)


# ----------------------------------------------------------------------------------------------
# Paired comparisons.


def exact_mcnemar(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (binomial, p = 1/2)."""
    discordant = a_only + b_only
    if discordant == 0:
        return 1.0
    k = min(a_only, b_only)
    tail = sum(math.comb(discordant, i) for i in range(k + 1)) / 2**discordant
    return min(1.0, 2 * tail)


def paired_t(differences: Sequence[float], level: float = LEVEL) -> PairedDifference:
    """Paired t test and interval of the mean difference (each difference its own cluster)."""
    return paired_difference_of(list(differences), [str(i) for i in range(len(differences))], level)


def paired_difference_of(
    differences: Sequence[float], clusters: Sequence[str], level: float = LEVEL
) -> PairedDifference:
    """Cluster-robust paired t on per-item differences (t with clusters - 1 df)."""
    n = len(differences)
    mean, variance, g = cluster_moments(differences, clusters)
    if n == 0:
        return PairedDifference(
            difference=0.0, n=0, clusters=0, ci_low=-1.0, ci_high=1.0, p_value=1.0, method="none"
        )
    if g < 2 or not math.isfinite(variance):
        return PairedDifference(
            difference=mean, n=n, clusters=g, ci_low=-1.0, ci_high=1.0, p_value=1.0,
            method="paired-t",
        )  # fmt: skip
    se = math.sqrt(variance)
    half = t_quantile(0.5 + level / 2, g - 1) * se
    # No spread at all: the difference is certain (p 0) unless it is exactly 0 (p 1).
    p = (1.0 if mean == 0 else 0.0) if se == 0 else t_two_sided_p(mean / se, g - 1)
    return PairedDifference(
        difference=mean,
        n=n,
        clusters=g,
        ci_low=max(-1.0, mean - half),
        ci_high=min(1.0, mean + half),
        p_value=p,
        method="paired-t",
    )


def paired_difference(
    a: Sequence[float],
    b: Sequence[float],
    clusters: Sequence[str] | None = None,
    level: float = LEVEL,
) -> PairedDifference:
    """a - b on the same items, in the same order. 0/1 scores with every item its own cluster:
    exact McNemar p-value; otherwise the cluster-robust paired t. The interval is the t interval
    of the mean difference either way (clipped to [-1, 1])."""
    if len(a) != len(b):
        raise ValueError("paired scores need the same items on both sides")
    labels = list(clusters) if clusters is not None else [str(i) for i in range(len(a))]
    differences = [x - y for x, y in zip(a, b, strict=True)]
    result = paired_difference_of(differences, labels, level)
    if result.n and is_binary(a) and is_binary(b) and len(set(labels)) == len(labels):
        a_only = sum(1 for x, y in zip(a, b, strict=True) if x > y)
        b_only = sum(1 for x, y in zip(a, b, strict=True) if y > x)
        return result.model_copy(update={"p_value": exact_mcnemar(a_only, b_only),
                                         "method": "mcnemar"})  # fmt: skip
    return result


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


# ----------------------------------------------------------------------------------------------
# Fitness and trends.


def weighted_interval(
    parts: Sequence[tuple[float, Interval]], level: float = LEVEL
) -> tuple[float, float, float]:
    """(value, ci_low, ci_high) of a weighted mean of independent interval estimates (delta
    method: each part's standard error is read back from its interval's half-width)."""
    total = sum(weight for weight, _ in parts)
    if total <= 0:
        return 0.0, 0.0, 1.0
    z = normal_quantile(0.5 + level / 2)
    value = sum(weight * part.mean for weight, part in parts) / total
    variance = 0.0
    for weight, part in parts:
        se = (part.ci_high - part.ci_low) / (2 * z)
        variance += (weight / total) ** 2 * se * se
    half = z * math.sqrt(variance)
    return value, max(0.0, value - half), min(1.0, value + half)


def slope_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float, float]:
    """Least-squares slope of ``values`` against 0, 1, 2, ... with its t interval (n - 2 df).
    Needs at least three values."""
    n = len(values)
    if n < 3:
        raise ValueError("a slope interval needs at least three values")
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(values)) / sxx
    residuals = sum((y - mean_y - slope * (i - mean_x)) ** 2 for i, y in enumerate(values))
    se = math.sqrt(residuals / (n - 2) / sxx)
    half = t_quantile(0.5 + level / 2, n - 2) * se
    return slope, slope - half, slope + half
