"""Every harness's generated bank: 1,000 distinct items, reproducible in a new process,
each with a reference that scores 1.0 and a near miss that scores below 1.0."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from mapelite.banks import sample_items
from mapelite.banks.common import content_hash, items_digest
from mapelite.banks.registry import GENERATORS
from mapelite.harnesses import HARNESSES, estimate_tokens
from mapelite.harnesses.base import Item

SEED = 1
COUNT = 1000


def _scores(item: Item) -> tuple[str, float, float]:
    return item.id, item.score(item.reference), item.score(item.near_miss)


@pytest.fixture(scope="module")
def generated() -> dict[int, list[Item]]:
    return {hid: sample_items(hid, COUNT, SEED, bank="gen") for hid in HARNESSES}


@pytest.mark.parametrize("harness_id", sorted(HARNESSES))
def test_a_thousand_generated_items_are_distinct_questions(generated, harness_id):
    items = generated[harness_id]
    assert len(items) == COUNT
    assert len({content_hash(item) for item in items}) == COUNT
    assert len({item.prompt for item in items}) == COUNT
    assert len({item.id for item in items}) == COUNT


SANDBOXED_PER_FAMILY = 30
"""SHAPE's scorer runs each answer in the sandbox (a process each): its 1,000 items are 8
templates (families) with drawn parameters, so 30 items of each family stand for the bank."""


def scored_items(items: list[Item], harness_id: int) -> list[Item]:
    if harness_id != 2:
        return items
    by_family: dict[str | None, list[Item]] = {}
    for item in items:
        by_family.setdefault(item.family, []).append(item)
    return [item for family in by_family.values() for item in family[:SANDBOXED_PER_FAMILY]]


@pytest.mark.parametrize("harness_id", sorted(HARNESSES))
def test_every_reference_scores_one_and_every_near_miss_below_one(generated, harness_id):
    items = scored_items(generated[harness_id], harness_id)
    # SHAPE's scorer runs each answer in a subprocess: run several at once.
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_scores, items))
    wrong_reference = [item_id for item_id, ref, _ in results if ref != 1.0]
    passing_near_miss = [item_id for item_id, _, miss in results if miss >= 1.0]
    assert wrong_reference == []
    assert passing_near_miss == []


@pytest.mark.parametrize("harness_id", sorted(HARNESSES))
def test_generated_items_name_their_bank_version_and_family(generated, harness_id):
    for item in generated[harness_id]:
        assert item.bank == "gen"
        assert item.bank_version == GENERATORS[harness_id].version
        assert item.family is not None and item.family.startswith(item.id.split("-")[0])


_REPRODUCE = """
import json, sys
from mapelite.banks import sample_items
from mapelite.banks.common import items_digest
print(json.dumps({h: items_digest(sample_items(h, %d, %d, bank="gen")) for h in range(8)}))
"""


def test_a_new_process_with_the_same_seed_builds_the_same_items_byte_for_byte(generated):
    here = {str(hid): items_digest(items) for hid, items in generated.items()}
    done = subprocess.run(
        [sys.executable, "-c", _REPRODUCE % (COUNT, SEED)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
    )
    assert json.loads(done.stdout) == here


def test_another_seed_gives_another_sample():
    first = {item.id for item in sample_items(7, 50, 1, bank="gen")}
    second = {item.id for item in sample_items(7, 50, 2, bank="gen")}
    assert first != second
    assert first == {item.id for item in sample_items(7, 50, 1, bank="gen")}


def test_a_smaller_sample_is_the_start_of_a_larger_one():
    small = [item.id for item in sample_items(0, 10, 3, bank="gen")]
    large = [item.id for item in sample_items(0, 40, 3, bank="gen")]
    assert large[:10] == small


@pytest.mark.parametrize("tokens", [1000, 4000, 16000, 64000])
def test_store_prompt_length_follows_the_context_tokens_knob(tokens):
    for item in sample_items(6, 5, 0, bank="gen", context_tokens=tokens):
        assert abs(estimate_tokens(item.prompt) - tokens) <= 0.10 * tokens
        assert f"-t{tokens}-" in item.id
        assert item.score(item.reference) == 1.0


@pytest.mark.parametrize("steps", [1, 3, 8])
def test_decide_steps_knob_sets_the_operations_of_every_problem(steps):
    items = sample_items(7, 40, 0, bank="gen", steps=steps)
    assert {item.family for item in items} == {"decide-g2:chain"}
    for item in items:
        assert item.prompt.count("; ") == steps - 1
        assert f"-s{steps}-" in item.id
        assert item.score(item.reference) == 1.0 and item.score(item.near_miss) == 0.0


def test_knobs_out_of_range_are_input_errors():
    from mapelite.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="1 to 3"):
        sample_items(3, 5, 0, bank="gen", instructions=4)
    with pytest.raises(InvalidInputError, match="1 to 12"):
        sample_items(7, 5, 0, bank="gen", steps=0)


def _instruction_counts(items: list[Item]) -> set[int]:
    return {item.family.count("+") + 1 for item in items if item.family}


def test_deliver_draws_one_to_three_instructions_unless_the_knob_fixes_it():
    assert _instruction_counts(sample_items(3, 60, 0, bank="gen")) == {1, 2, 3}
    fixed = sample_items(3, 30, 0, bank="gen", instructions=2)
    assert _instruction_counts(fixed) == {2}
    assert all(item.score(item.reference) == 1.0 for item in fixed)
