"""DELIVER's instruction library: at least 20 types, each checker accepts what `apply` makes
and rejects what `violate` makes."""

from __future__ import annotations

import random

import pytest

from mapelite.banks.instructions import FACTORIES, draw_instructions

DRAFTS = (
    "Baking bread is a very rewarding hobby. You need flour, water, and time. The first loaf is "
    "rarely perfect, but that is part of the fun. Keep notes on every bake. Share the results.",
    "Walking to work clears the head. It is really worth trying for a week, even in the rain. "
    "Small steps add up. Friends may join in. A great start is one short walk.",
)


def test_library_has_at_least_twenty_instruction_types():
    kinds = {factory(random.Random(0)).kind for factory in FACTORIES}
    assert len(kinds) == len(FACTORIES) >= 20


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__.strip("_"))
def test_checker_accepts_applied_and_rejects_violated(factory):
    for seed in range(20):
        instruction = factory(random.Random(seed))
        for draft in DRAFTS:
            followed = instruction.apply(draft)
            assert instruction.check(followed), (instruction.kind, followed)
            broken = instruction.violate(followed)
            assert not instruction.check(broken), (instruction.kind, broken)


def test_drawn_instructions_never_share_a_conflict_tag():
    for seed in range(300):
        chosen = draw_instructions(random.Random(seed), 3)
        tags = [tag for instruction in chosen for tag in instruction.tags]
        assert len(tags) == len(set(tags))
        assert len({instruction.kind for instruction in chosen}) == len(chosen)
