"""Property: the reference answer in every accepted form scores 1 and its near miss 0 (below 1
for DELIVER, which scores a fraction of its rules), on 1,000 generated items per harness.

SHAPE runs every candidate in the sandbox, so here it covers 24 items; `make validity` sweeps
all 1,000 (``bench.validity_forms``).
"""

from __future__ import annotations

import pytest

from bench.validity_forms import harness_problems
from mapelite.harnesses import HARNESSES

FAST_HARNESSES = [hid for hid in sorted(HARNESSES) if hid != 2]


@pytest.mark.parametrize("harness_id", FAST_HARNESSES, ids=lambda h: HARNESSES[h].name)
def test_reference_in_every_form_scores_one_and_near_miss_does_not(harness_id: int):
    problems = harness_problems(harness_id, 1000)
    assert problems == []


def test_shape_reference_in_every_form_passes_and_near_miss_scores_zero():
    assert harness_problems(2, 24, workers=4) == []
