"""`mapelite.stats.core` against published values and against scipy computing the same thing.

Published anchors: Wilson 95% for 7/10 is 0.3968-0.8922 and for 0/10 is 0-0.2775 (Newcombe,
Stat. Med. 1998, table II); Holm's adjusted values follow from the definition
(Holm 1979); Miller's planning numbers: detecting 0.10 at p = 0.7, 80% power, needs ~330 items
unpaired and ~165 paired at rho = 0.5 (Miller 2024, sec. 5).
"""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats as scipy_stats  # a dev dependency: the independent reference

from mapelite.schemas import ItemOutcome
from mapelite.stats import core as stats
from mapelite.stats import power


def test_wilson_interval_matches_newcombes_published_values() -> None:
    low, high = stats.wilson(7, 10)
    assert (round(low, 4), round(high, 4)) == (0.3968, 0.8922)
    low, high = stats.wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and round(high, 4) == 0.2775


@pytest.mark.parametrize("successes,n", [(3, 6), (81, 263), (1, 29), (29, 29)])
def test_wilson_interval_matches_scipy(successes: int, n: int) -> None:
    expected = scipy_stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    low, high = stats.wilson(successes, n)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


@pytest.mark.parametrize("df", [1, 2, 5, 13, 60, 500])
def test_t_quantile_and_tail_match_scipy(df: int) -> None:
    assert stats.t_quantile(0.975, df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=1e-9)
    for t in (0.3, 1.7, 4.2):
        assert stats.t_two_sided_p(t, df) == pytest.approx(2 * scipy_stats.t.sf(t, df), rel=1e-8)


@pytest.mark.parametrize("a_only,b_only", [(0, 5), (3, 11), (10, 10), (25, 9), (1, 0)])
def test_exact_mcnemar_is_the_two_sided_binomial_test_on_discordant_pairs(
    a_only: int, b_only: int
) -> None:
    expected = scipy_stats.binomtest(a_only, a_only + b_only, 0.5).pvalue
    assert stats.exact_mcnemar(a_only, b_only) == pytest.approx(expected, rel=1e-12)


def test_paired_difference_of_binary_scores_uses_exact_mcnemar() -> None:
    a = [1.0] * 12 + [0.0] * 2 + [1.0] * 30 + [0.0] * 6
    b = [0.0] * 12 + [1.0] * 2 + [1.0] * 30 + [0.0] * 6
    result = stats.paired_difference(a, b)
    assert result.method == "mcnemar"
    assert result.difference == pytest.approx(10 / 50)
    assert result.p_value == pytest.approx(scipy_stats.binomtest(2, 14, 0.5).pvalue)
    assert result.ci_low < 0.2 < result.ci_high


def test_paired_t_matches_scipy_ttest_rel() -> None:
    rng = random.Random(4)
    a = [rng.random() for _ in range(40)]
    b = [min(1.0, x + rng.gauss(0.05, 0.2)) for x in a]
    result = stats.paired_difference(a, b)
    expected = scipy_stats.ttest_rel(a, b)
    assert result.method == "paired-t"
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-8)
    ci = expected.confidence_interval(0.95)
    assert result.ci_low == pytest.approx(ci.low, rel=1e-8)
    assert result.ci_high == pytest.approx(ci.high, rel=1e-8)


def test_holm_adjusts_like_the_step_down_definition() -> None:
    # Holm 1979: sorted p_(i) * (m - i + 1), made monotone, capped at 1.
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm([]) == []


def test_minimum_detectable_difference_and_items_needed_match_millers_planning_numbers() -> None:
    assert power.items_needed(0.10, paired=False) == 330
    assert power.items_needed(0.10, correlation=0.5) == 165
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    expected = z * math.sqrt(2 * 0.21 * 0.5 / 100)
    assert power.detectable_difference(100) == pytest.approx(expected, rel=1e-9)
    assert power.detectable_difference(power.items_needed(0.07)) <= 0.07
    assert power.detectable_difference(0) == math.inf


def test_power_at_the_minimum_detectable_difference_is_the_planned_power() -> None:
    n = 200
    d = power.detectable_difference(n, correlation=0.0)
    variance = 2 * 0.7 * 0.3
    assert power.power_of(d, n, variance_of_difference=variance) == pytest.approx(0.8, abs=1e-3)


def test_clustered_interval_is_wider_than_the_naive_one_when_families_share_outcomes() -> None:
    # Ten families of five items each, every family all right or all wrong: 10 effective items.
    scores = [1.0 if family % 2 else 0.0 for family in range(10) for _ in range(5)]
    families = [f"f{family}" for family in range(10) for _ in range(5)]
    naive = stats.mean_interval(scores)
    clustered = stats.mean_interval(scores, families)
    assert naive.n == clustered.n == 50
    assert clustered.clusters == 10
    assert clustered.ci_high - clustered.ci_low > 1.8 * (naive.ci_high - naive.ci_low)
    expected = stats.wilson(5, 10)  # all-or-nothing families: exactly ten Bernoulli clusters
    assert clustered.ci_low == pytest.approx(expected[0], rel=0.05)


def test_partial_credit_uses_a_t_interval_on_clusters() -> None:
    scores = [0.2, 0.4, 0.5, 0.9, 1.0, 0.6]
    interval = stats.mean_interval(scores)
    expected = scipy_stats.t.interval(0.95, 5, loc=0.6, scale=scipy_stats.sem(scores))
    assert interval.method == "t"
    assert interval.ci_low == pytest.approx(expected[0])
    assert interval.ci_high == pytest.approx(expected[1])


def test_errors_are_not_scores_in_an_outcome_interval() -> None:
    outcomes = [
        ItemOutcome(item_id="a", score=1.0),
        ItemOutcome(item_id="b", score=0.0),
        ItemOutcome(item_id="c", score=0.0, error="timeout"),
    ]
    interval = stats.outcome_interval(outcomes)
    assert interval.n == 2 and interval.mean == 0.5
    assert stats.outcome_interval([outcomes[2]]).method == "none"


def test_repeats_of_one_item_are_one_cluster() -> None:
    outcomes = [ItemOutcome(item_id=f"i{i % 3}", score=float(i % 3 == 0)) for i in range(30)]
    interval = stats.outcome_interval(outcomes)
    assert interval.n == 30 and interval.clusters == 3


def test_weighted_interval_of_a_fitness_is_narrower_than_its_widest_part() -> None:
    parts = [(1.0, stats.mean_interval([1.0, 0.0] * 20)), (2.0, stats.mean_interval([1.0] * 40))]
    value, low, high = stats.weighted_interval(parts)
    assert value == pytest.approx((0.5 + 2 * 1.0) / 3)
    assert low < value <= high


def test_slope_interval_matches_scipy_linregress() -> None:
    values = [0.41, 0.45, 0.52, 0.5, 0.58, 0.61]
    slope, low, high = stats.slope_interval(values)
    fit = scipy_stats.linregress(range(6), values)
    half = scipy_stats.t.ppf(0.975, 4) * fit.stderr
    assert slope == pytest.approx(fit.slope)
    assert (low, high) == pytest.approx((fit.slope - half, fit.slope + half))


def test_detection_sentence_and_plan_use_the_same_power_calculation() -> None:
    assert "≥ 0.13 per harness at 80% power" in power.detection_sentence(100)
    plan = power.plan_detection(0.10, n_items=50, cost_usd=0.02)
    assert plan.items_per_harness == 165
    assert plan.cost_usd == pytest.approx(0.02 * 165 / 50)
    assert power.plan_detection(0.2).cost_usd is None
