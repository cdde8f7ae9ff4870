"""Shared normalisers and extractors: real model output is messy, near misses must still fail."""

from __future__ import annotations

import pytest

from mapelite.harnesses.scoring import (
    answer_line,
    exact_number,
    exact_text,
    extract_json_object,
    final_answer,
    normalize_text,
    parse_numbers,
    safe_scorer,
    unwrap_fence,
)

FORTY_TWO = exact_number(42)
OSLO = exact_text("Oslo")


@pytest.mark.parametrize(
    "answer",
    [
        "ANSWER: 42",
        "  ANSWER:   42  ",
        "answer: 42",
        "The answer is 42.",
        "Working: 6 × 7 = 42\n\nANSWER: 42",
        "**ANSWER:** 42",
        "**ANSWER: 42**",
        "### Final answer: 42",
        "```\nANSWER: 42\n```",
        "ANSWER:\n42",
        "ANSWER: 42 apples",
        "ANSWER: 42.0",
        "We get $\\boxed{42}$.",
        "First I thought ANSWER: 41 but rechecking...\nANSWER: 42",
    ],
)
def test_number_scorer_accepts_the_right_value_in_any_usual_wrapping(answer):
    assert FORTY_TWO(answer) == 1.0


@pytest.mark.parametrize(
    "answer",
    [
        "ANSWER: 41",
        "ANSWER: 43",
        "ANSWER: 4.2",
        "ANSWER: 420",
        "ANSWER: -42",
        "ANSWER: 42.5",
        "The answer is 41.",
        "42 is close, but ANSWER: 41",
        "ANSWER: forty",
        "ANSWER:",
        "",
    ],
)
def test_number_scorer_rejects_near_misses(answer):
    assert FORTY_TWO(answer) == 0.0


def test_number_scorer_reads_thousands_separators_and_currency():
    assert exact_number(13670)("ANSWER: 13,670 residents") == 1.0
    assert exact_number(19.5)("ANSWER: $19.50") == 1.0
    assert exact_number(19.5)("ANSWER: $19.05") == 0.0


@pytest.mark.parametrize(
    "answer",
    [
        "ANSWER: Oslo",
        "ANSWER: oslo",
        "ANSWER:   OSLO.  ",
        "ANSWER: **Oslo**",
        'ANSWER: "Oslo"',
        "The capital is mentioned in line 2.\n\nANSWER: Oslo (the capital)",
        "The answer is Oslo.",
        "Oslo",
        "`Oslo`",
    ],
)
def test_text_scorer_accepts_the_right_value_in_any_usual_wrapping(answer):
    assert OSLO(answer) == 1.0


@pytest.mark.parametrize(
    "answer",
    ["ANSWER: Osla", "ANSWER: Bergen", "ANSWER: Oslo or Bergen", "Not Oslo.\n\nANSWER: Bergen", ""],
)
def test_text_scorer_rejects_a_different_or_hedged_value(answer):
    assert OSLO(answer) == 0.0


def test_full_name_must_match_exactly_not_partly():
    scorer = exact_text("Marisol Ortega")
    assert scorer("ANSWER: marisol  ortega") == 1.0
    assert scorer("ANSWER: Marisol") == 0.0
    assert scorer("ANSWER: Marisol Ortiz") == 0.0


def test_answer_line_is_none_without_an_answer_line():
    assert answer_line("just prose here") is None
    assert final_answer("line one\n\nlast line") == "last line"


def test_normalize_text_drops_lead_in_article_and_trailing_punctuation():
    assert normalize_text("The answer is: the Keva!") == "keva"


def test_parse_numbers_keeps_decimals_and_signs_apart():
    assert parse_numbers("4.2 and 42, -3 and 1,250.5") == [4.2, 42.0, -3.0, 1250.5]


def test_extract_json_object_finds_fenced_bare_and_embedded_objects():
    assert extract_json_object('```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json_object('Sure! {"a": 1} hope that helps') == {"a": 1}
    assert extract_json_object("[1, 2]") is None
    assert extract_json_object("{not json") is None


def test_unwrap_fence_only_unwraps_a_reply_that_is_one_block():
    assert unwrap_fence("```\nhello\n```") == "hello"
    assert unwrap_fence("intro\n```\nhello\n```") == "intro\n```\nhello\n```"


def test_safe_scorer_turns_errors_and_out_of_range_values_into_unit_interval():
    assert safe_scorer(lambda _: 1 / 0)("x") == 0.0
    assert safe_scorer(lambda _: 7.0)("x") == 1.0
    assert safe_scorer(lambda _: -1.0)("x") == 0.0
    assert safe_scorer(lambda _: float("nan"))("x") == 0.0
