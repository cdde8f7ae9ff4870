"""Prompts by role: workers see the item, aggregators a bounded vote summary, consumers one."""

from __future__ import annotations

from mapelite.harnesses import get_harness
from runners.prompts import MAX_ANSWER_CHARS, MAX_DISTINCT, build_messages

HARNESS = get_harness(0)
ITEM = HARNESS.items[0]


def user_text(role, upstream=()) -> str:
    messages = build_messages(HARNESS, ITEM, role, upstream)
    assert messages[0].role == "system"
    return messages[1].content


def test_worker_sees_exactly_the_item_prompt():
    assert user_text("worker") == ITEM.prompt
    assert user_text("single") == ITEM.prompt


def test_aggregator_sees_distinct_answers_with_vote_counts():
    text = user_text("aggregator", ["42", "42", " 42 ", "41"])
    assert text.startswith(ITEM.prompt)
    assert "(3 votes)" in text and "(1 vote)" in text
    assert text.count("\n42\n") == 1


def test_aggregator_prompt_stays_bounded_however_wide_the_previous_stage():
    narrow = user_text("aggregator", [f"answer {i} " + "x" * 5000 for i in range(8)])
    wide = user_text("aggregator", [f"answer {i} " + "x" * 5000 for i in range(512)])
    limit = len(ITEM.prompt) + MAX_DISTINCT * (MAX_ANSWER_CHARS + 100) + 500
    assert len(wide) <= limit
    assert len(wide) - len(narrow) < 200  # only the "rarer answers not shown" line differs
    assert "504 rarer answers" in wide


def test_consumer_sees_the_one_answer_to_improve():
    text = user_text("consumer", ["Paris is the answer"])
    assert text.startswith(ITEM.prompt)
    assert "Paris is the answer" in text and "improved" in text


def test_a_role_without_upstream_answers_falls_back_to_the_item_prompt():
    assert user_text("aggregator") == ITEM.prompt
    assert user_text("consumer") == ITEM.prompt
