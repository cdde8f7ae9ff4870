"""Harness 7, DECIDE: multi-step word problems and logic puzzles (exact numeric/label match)."""

from __future__ import annotations

from mapelite.harnesses.base import Harness, Item
from mapelite.harnesses.scoring import answer_form, exact_number, exact_text, exact_time


def _prompt(problem: str, value_hint: str) -> str:
    return f"Solve the problem step by step.\n\n{problem}\n\n{answer_form(value_hint)}"


ITEMS: tuple[Item, ...] = (
    Item(
        id="decide-01",
        prompt=_prompt(
            "A bakery sells muffins only in boxes of 6. A school needs 100 muffins and buys "
            "the smallest number of whole boxes that gives at least 100 muffins. How many boxes "
            "does it buy?",
            "number of boxes",
        ),
        reference="100 ÷ 6 = 16.67, so 16 boxes (96 muffins) are not enough. The school needs "
        "**17 boxes**.\n\nANSWER: 17",
        near_miss="100 ÷ 6 = 16.67, so the school buys 16 boxes.\n\nANSWER: 16",
        score=exact_number(17),
    ),
    Item(
        id="decide-02",
        prompt=_prompt(
            "Amy, Ben and Cara each own exactly one different pet: a cat, a dog or a fish. "
            "Ben owns the fish. Amy does not own the dog. Who owns the cat?",
            "name",
        ),
        reference="Ben has the fish, so Amy and Cara share the cat and the dog. Amy does not "
        "own the dog, so Amy owns the cat and Cara owns the dog.\n\nANSWER: Amy",
        near_miss="Ben has the fish and Amy does not own the dog, so the cat must be "
        "Cara's.\n\nANSWER: Cara",
        score=exact_text("Amy"),
    ),
    Item(
        id="decide-03",
        prompt=_prompt(
            "A train leaves at 09:50 and the journey takes 2 hours 35 minutes. At what time "
            "does it arrive?",
            "time as HH:MM, 24-hour clock",
        ),
        reference="09:50 + 2 h = 11:50; 11:50 + 35 min = 12:25.\n\nANSWER: 12:25",
        near_miss="09:50 + 2 h 35 min = 11:25.\n\nANSWER: 11:25",
        score=exact_time("12:25"),
    ),
    Item(
        id="decide-04",
        prompt=_prompt(
            "Sam is 4 years older than Lee. In 6 years, the sum of their ages will be 40. How "
            "old is Sam now?",
            "age in years",
        ),
        reference="Now Sam + Lee = 40 − 12 = 28. With Sam = Lee + 4: 2 × Lee + 4 = 28, so "
        "Lee = 12 and Sam = 16.\n\nANSWER: 16",
        near_miss="Sam + Lee = 28 and Sam = Lee + 4, so Lee = 12.\n\nANSWER: 12",
        score=exact_number(16, unit="year", about="Sam"),
    ),
    Item(
        id="decide-05",
        prompt=_prompt(
            "Five runners finished a race: Pia, Quinn, Rui, Sol and Tia, with no ties. Pia "
            "finished before Quinn. Rui finished after Quinn but before Sol. Tia finished last. "
            "Who finished third?",
            "name",
        ),
        reference="Tia is 5th. The rest must be in the order Pia, Quinn, Rui, Sol, so Pia is "
        "1st, Quinn 2nd and Rui 3rd.\n\nANSWER: Rui",
        near_miss="Pia is ahead of Quinn and Tia is last, so Quinn is third.\n\nANSWER: Quinn",
        score=exact_text("Rui"),
    ),
    Item(
        id="decide-06",
        prompt=_prompt(
            "A jacket costs $80. It is discounted by 25%, and then the discounted price is "
            "raised by 10%. What is the final price in dollars?",
            "price in dollars",
        ),
        reference="$80 × 0.75 = $60. Then $60 × 1.10 = $66.\n\nANSWER: 66",
        near_miss="A 25% discount and a 10% increase make a 15% discount: $80 × 0.85 = $68."
        "\n\nANSWER: 68",
        score=exact_number(66, unit="usd"),
    ),
)

HARNESS = Harness(
    id=7,
    name="DECIDE",
    description="multi-step reasoning (word problems, logic)",
    items=ITEMS,
    max_tokens=768,
    expected_completion_tokens=200,
    system="You reason step by step and state one final answer.",
    scorer_version="3",  # 3: thinking never graded, corrections after the answer, sign-offs
    # skipped (blind sets); 2: the shared answer grammar
)
