"""The answer grammar's named rules hold on their labelled examples, and every harness reads
and records the answer it scored."""

from __future__ import annotations

import pytest

from mapelite.harnesses import HARNESSES
from mapelite.harnesses.grammar import RULES, Example, judge, read_answer

EXAMPLES = [(rule.name, example) for rule in RULES for example in rule.examples]


def test_the_grammar_names_its_six_rules_each_with_right_and_wrong_examples():
    assert [rule.name for rule in RULES] == [
        "form", "commit", "retract", "hedge", "conflict", "unit",
    ]  # fmt: skip
    for rule in RULES:
        assert {example.right for example in rule.examples} == {True, False}, rule.name


@pytest.mark.parametrize(
    ("rule", "example"), EXAMPLES, ids=[f"{r}:{e.reply[:30]!r}" for r, e in EXAMPLES]
)
def test_every_labelled_example_reads_as_its_label(rule: str, example: Example):
    assert judge(example) is example.right


def test_the_recorded_answer_is_the_value_the_reply_ends_on():
    assert read_answer("Working: 16.67.\n\nANSWER: 17 boxes") == "17 boxes"
    assert read_answer("ANSWER: 17\n\nWait, actually the answer is 16.") == "16"
    assert read_answer("It is $\\boxed{42}$.") == "42"
    assert read_answer("ANSWER: 17\n\nActually, I'm not sure.") is None
    assert read_answer("") is None


def test_every_harness_has_a_scorer_version_and_extracts_from_its_reference():
    for harness in HARNESSES.values():
        # 2: the shared answer grammar; SHAPE is at 3 (hidden tests with edge cases).
        assert harness.scorer_version == ("3" if harness.name == "SHAPE" else "2")
        for item in harness.items[:2]:
            assessed = harness.assess(item, item.reference)
            assert assessed.score == 1.0
            assert harness.extract(item, item.reference)
