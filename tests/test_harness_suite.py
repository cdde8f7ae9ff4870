"""The suite as a whole: eight harnesses, well-formed items, reference right, near miss wrong."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapelite.errors import InvalidInputError
from mapelite.harnesses import HARNESSES, Item, get_harness, parse_harness_selection
from mapelite.schemas import HARNESS_NAMES

ALL_ITEMS: list[tuple[str, Item]] = [
    (harness.name, item) for harness in HARNESSES.values() for item in harness.items
]
NON_CODE_ITEMS = [item for name, item in ALL_ITEMS if name != "SHAPE"]


def test_there_are_eight_harnesses_with_the_design_ids_and_names():
    assert {hid: harness.name for hid, harness in HARNESSES.items()} == HARNESS_NAMES
    assert all(harness.id == hid for hid, harness in HARNESSES.items())


@pytest.mark.parametrize("harness_id", sorted(HARNESSES))
def test_every_harness_has_at_least_five_well_formed_items(harness_id):
    harness = get_harness(harness_id)
    assert len(harness.items) >= 5
    ids = [item.id for item in harness.items]
    assert len(set(ids)) == len(ids)
    for item in harness.items:
        assert item.prompt.strip()
        assert item.reference.strip()
        assert item.near_miss.strip()
        assert item.reference != item.near_miss
    assert harness.system.strip()
    assert 0 < harness.expected_completion_tokens < harness.max_tokens
    assert harness.prompt_tokens() > 0


def test_item_ids_are_unique_across_the_suite():
    ids = [item.id for _, item in ALL_ITEMS]
    assert len(set(ids)) == len(ids)


def test_code_harness_allows_longer_answers_than_fact_harnesses():
    assert get_harness(2).max_tokens > get_harness(0).max_tokens
    assert get_harness(2).expected_completion_tokens > get_harness(0).expected_completion_tokens


def test_long_context_items_are_roughly_600_to_1500_tokens():
    for item in get_harness(6).items:
        assert 600 <= len(item.prompt) / 4 <= 1500


def test_harness_items_are_identical_on_every_import():
    import importlib

    import mapelite.harnesses.store as store

    before = [item.prompt for item in store.ITEMS]
    after = [item.prompt for item in importlib.reload(store).ITEMS]
    assert before == after


@pytest.mark.parametrize(("harness_name", "item"), ALL_ITEMS, ids=[i.id for _, i in ALL_ITEMS])
def test_reference_answer_scores_one(harness_name, item):
    assert item.score(item.reference) == 1.0


@pytest.mark.parametrize(("harness_name", "item"), ALL_ITEMS, ids=[i.id for _, i in ALL_ITEMS])
def test_near_miss_answer_scores_below_one(harness_name, item):
    assert 0.0 <= item.score(item.near_miss) < 1.0


@pytest.mark.parametrize("item", NON_CODE_ITEMS, ids=[i.id for i in NON_CODE_ITEMS])
def test_empty_and_refusal_answers_do_not_pass(item):
    assert item.score("") == 0.0
    # DELIVER's negative checks ("no exclamation marks") may hold for a refusal: partial only.
    assert item.score("I'm sorry, I can't help with that.") < 1.0
    if not item.id.startswith("deliver"):
        assert item.score("I'm sorry, I can't help with that.") == 0.0


def test_get_harness_rejects_unknown_id_naming_the_valid_ones():
    with pytest.raises(InvalidInputError) as error:
        get_harness(8)
    message = str(error.value)
    assert "0=SENSE" in message and "7=DECIDE" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", list(range(8))),
        ("ALL", list(range(8))),
        ("0", [0]),
        ("SENSE", [0]),
        ("decide", [7]),
        ("0,2,7", [0, 2, 7]),
        (" 7 , shape ,0,0 ", [0, 2, 7]),
    ],
)
def test_parse_harness_selection_accepts_ids_names_and_all(text, expected):
    assert parse_harness_selection(text) == expected


@pytest.mark.parametrize("text", ["", "8", "-1", "SENS", "0,,1", "1.5", "0;1"])
def test_parse_harness_selection_rejects_unknown_ids_with_the_valid_list(text):
    with pytest.raises(InvalidInputError, match="valid harnesses: 0=SENSE"):
        parse_harness_selection(text)


_FRAGMENTS = st.sampled_from(
    [
        "ANSWER:",
        "answer is",
        "**",
        "```",
        "```python\n",
        "```json\n",
        "\\boxed{",
        "}",
        "{",
        '"A": ',
        '"B": ',
        "REFUSE",
        "1,250",
        "-3.5",
        "42",
        "\n",
        " ",
        "- ",
        "Best wishes, Sam",
        "BANANA",
        "null",
        "[1, 2]",
        "\x00",
        "\u00e9",
    ]
)
_ANSWERS = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(_FRAGMENTS, st.text(max_size=8)), max_size=30).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=st.sampled_from(NON_CODE_ITEMS), answer=_ANSWERS)
def test_scorers_never_raise_and_stay_in_unit_interval(item, answer):
    score = item.score(answer)
    assert isinstance(score, float)
    assert 0.0 <= score <= 1.0


@settings(max_examples=60, deadline=None)
@given(answer=_ANSWERS)
def test_code_scorer_never_raises_on_text_without_the_function(answer):
    item = get_harness(2).items[0]
    assert 0.0 <= item.score(answer) <= 1.0
