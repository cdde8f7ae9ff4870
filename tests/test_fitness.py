"""Fitness: weighted mean of normalized harness scores, always within [0, 1]."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mapelite.errors import InvalidInputError
from mapelite.stats.fitness import DEFAULT_WEIGHTS, FitnessWeights, fitness


def test_default_weights_are_the_design_weights():
    assert FitnessWeights().weights == {
        0: 1.0,
        1: 1.0,
        2: 1.5,
        3: 1.0,
        4: 1.2,
        5: 1.0,
        6: 1.0,
        7: 2.0,
    }
    assert DEFAULT_WEIGHTS[7] == 2.0


def test_fitness_is_the_weighted_mean_over_present_harnesses():
    assert fitness({0: 1.0, 7: 0.0}) == pytest.approx(1.0 / 3.0)
    assert fitness({2: 0.5}) == pytest.approx(0.5)
    all_ones = dict.fromkeys(range(8), 1.0)
    assert fitness(all_ones) == pytest.approx(1.0)


def test_custom_weights_change_the_mean():
    weights = FitnessWeights(weights={0: 3.0, 1: 1.0})
    assert fitness({0: 1.0, 1: 0.0}, weights) == pytest.approx(0.75)


def test_no_scores_or_only_zero_weights_give_zero():
    assert fitness({}) == 0.0
    assert fitness({0: 1.0}, FitnessWeights(weights={0: 0.0})) == 0.0


def test_invalid_weights_and_nan_scores_are_refused():
    with pytest.raises(ValidationError):
        FitnessWeights(weights={0: -1.0})
    with pytest.raises(ValidationError):
        FitnessWeights(weights={9: 1.0})
    with pytest.raises(ValidationError):
        FitnessWeights(weights={0: math.inf})
    with pytest.raises(InvalidInputError):
        fitness({0: math.nan})


harness_ids = st.integers(0, 7)


@settings(max_examples=300, deadline=None)
@given(
    scores=st.dictionaries(harness_ids, st.floats(0, 1)),
    weights=st.dictionaries(harness_ids, st.floats(0, 1e6)),
)
def test_fitness_is_always_between_zero_and_one(scores, weights):
    value = fitness(scores, FitnessWeights(weights=weights))
    assert 0.0 <= value <= 1.0
    if scores:
        assert min(scores.values()) - 1e-9 <= fitness(scores) <= max(scores.values()) + 1e-9
