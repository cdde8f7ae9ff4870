"""The answer grammar: how every harness reads a reply's final answer, as named rules.

One reading serves every scorer (core items, generated banks, user files): ``extraction``
carries it out for numbers and clock times, ``text_answers`` for names and labels, ``forms``
for the written forms. Each rule below states what a careful grader does and carries labelled
examples (``tests/test_answer_grammar.py`` checks every one against the reader):

- ``form``: a value means the same in any dress: ``ANSWER:`` line, ``\\boxed{}``, inline
  LaTeX, a markdown table row, bold, number words, thousands separators, a thinking block
  before the reply (never read).
- ``commit``: the final answer is the ``ANSWER:`` line; without one, a ``\\boxed{}``, "the
  answer is ...", the bold text of the last paragraph, else the last line - a plain sentence
  with the value counts. Working on the answer line counts for the value it ends on. Closing
  pleasantries ("Hope this helps! Let me know ...") are skipped, and a long last line is read
  by its last sentence that states a value.
- ``retract``: a correction is read by the value it ends on ("17 ... actually 16" is 16,
  "Correction: ... so it arrives at 12:35" is 12:35); a check that confirms the answer keeps
  it; a retraction that gives no new value ("actually, I'm not sure") leaves no answer.
- ``hedge``: several candidates ("16 or 17", "maybe Keva") are right only when every one is.
- ``conflict``: two final answers that differ, with no correction between them, are wrong;
  so are two JSON objects where one is asked for (IMMUNIZE, DELIVER).
- ``unit``: the item knows the asked unit; a value in another unit of the same kind is
  converted ("2 kg" where grams are asked is 2000 g), another kind (euros for dollars) is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mapelite.harnesses.extraction import number_matches, numbers_match, read_final
from mapelite.harnesses.text_answers import TextRule

RuleName = Literal["form", "commit", "retract", "hedge", "conflict", "unit"]


@dataclass(frozen=True)
class Example:
    """A reply to a question whose answer is ``expected`` (a number, several numbers or a
    text), in ``unit`` when the question asks one; ``right``: a careful grader's label."""

    reply: str
    expected: float | tuple[float, ...] | str
    right: bool
    unit: str | None = None


@dataclass(frozen=True)
class Rule:
    name: RuleName
    says: str
    examples: tuple[Example, ...]


def judge(example: Example) -> bool:
    """What the shared reader makes of an example (True: the reply is right)."""
    if isinstance(example.expected, str):
        return TextRule((example.expected,)).matches(example.reply)
    if isinstance(example.expected, tuple):
        return numbers_match(example.reply, example.expected, unit=example.unit)
    return number_matches(example.reply, example.expected, unit=example.unit)


def read_answer(reply: str) -> str | None:
    """The final answer a reply commits to, as the scorers read it (None: it commits to none);
    recorded beside the score so a reader can see what was graded."""
    return read_final(reply).committed


E = Example
RULES: tuple[Rule, ...] = (
    Rule(
        "form",
        "the same value in any written form is the same answer",
        (
            E("ANSWER: 17", 17, True),
            E("The school needs $\\boxed{17}$ boxes.", 17, True),
            E("ANSWER: \\( 19.50 \\)", 19.5, True, "usd"),
            E("ANSWER: $\\$19.50$", 19.5, True, "usd"),
            E("| step | value |\n|---|---|\n| total | 96 |\n| Answer | 17 |", 17, True),
            E("**Final answer:** seventeen", 17, True),
            E("ANSWER: 13\\,670", 13670, True),
            E("ANSWER: 13 670", 13670, True),
            E("<think>16 looks right</think>\nANSWER: 17", 17, True),
            E("ANSWER: \\text{Keva}", "Keva", True),
            E("ANSWER: 1.7", 17, False),
            E("So Elm had $\\boxed{13{,}670}$ residents.", 13670, True),
            E("ANSWER: nineteen sixty-two", 1962, True),
            E("ANSWER: five seventy-five", 5.75, True, "usd"),
            E("abc </think>\nANSWER: 17", 17, True),
        ),
    ),
    Rule(
        "commit",
        "the answer line, else a boxed value, a lead-in, bold text or the last line",
        (
            E("The school must buy 17 boxes.", 17, True),
            E("100 / 6 = 16.67.\nSo 16 boxes are too few: the school buys 17 boxes.", 17, True),
            E("ANSWER: ceil(100/6) = 17", 17, True),
            E("ANSWER: 100 ÷ 6 = 16.67 → 17 boxes", 17, True),
            E("16 boxes hold 96 muffins.\n\nANSWER: 17", 17, True),
            E("The amber tree frog lives only on Keva.", "Keva", True),
            E("17 boxes would be plenty.\n\nANSWER: 16", 17, False),
            E("ANSWER: 17 boxes, which gives 102 muffins", 17, True),
            E("Sam: 16, Lee: 12", 16, True),
            E(
                "The total is **487 dollars**.\n\nHope this helps! Let me know if ...",
                487,
                True,
                "usd",
            ),
            E(
                "Ben has the fish, so the cat and the dog go to Amy and Cara. Amy owns the cat.",
                "Amy",
                True,
            ),
            E("The two numbers are **4417** and **8812**.", (4417.0, 8812.0), True),
            E("Final: 17", 17, True),
        ),
    ),
    Rule(
        "retract",
        "a correction is read by the value it ends on; a bare retraction leaves no answer",
        (
            E("ANSWER: 17, actually 16", 16, True),
            E("ANSWER: 17, actually 16", 17, False),
            E("ANSWER: 17\n\nWait, actually the answer is 16.", 16, True),
            E("ANSWER: Keva\n\nWait, no - it is Sora.\n\nANSWER: Sora", "Keva", False),
            E("ANSWER: Sora\nSorry, I misread the passage.\nANSWER: Keva", "Keva", True),
            E("ANSWER: 17\n\nHmm, actually I'm not sure about that.", 17, False),
            E("ANSWER: 17\n\nCorrection: I mis-added, so the school buys 18 boxes.", 17, False),
            E("ANSWER: 17\n\nActually, let me verify: 17 × 6 = 102. Correct.", 17, True),
            E("ANSWER: Sora - wait, no. Sora is the port.\n\nANSWER: Keva", "Keva", True),
        ),
    ),
    Rule(
        "hedge",
        "several candidates are right only when every one of them is",
        (
            E("ANSWER: 16 or 17", 17, False),
            E("ANSWER: either 17 or 18", 17, False),
            E("ANSWER: 17 (or maybe 16)", 17, False),
            E("ANSWER: 17 (16 would leave 4 short)", 17, True),
            E("ANSWER: Keva or Sora", "Keva", False),
            E("ANSWER: 17, give or take", 17, False),
            E("ANSWER: 12 or maybe something else", 12, False),
            E("ANSWER: 4417 / 8812 or so", (4417.0, 8812.0), False),
        ),
    ),
    Rule(
        "conflict",
        "two differing final answers with no correction between them are wrong",
        (
            E("ANSWER: 17\nANSWER: 16", 17, False),
            E("ANSWER: 17\nANSWER: 17 boxes", 17, True),
            E("\\boxed{16} ... \\boxed{17}", 17, False),
            E("ANSWER: 4417; 8812", (4417.0, 8812.0), True),
            E("ANSWER: 4417 & 8812", (4417.0, 8812.0), True),
            E("ANSWER: 4417,8812", (4417.0, 8812.0), True),
            E("ANSWER: 4417, 8812, 9001", (4417.0, 8812.0), False),
            E("ANSWER: 4417", (4417.0, 8812.0), False),
            E("ANSWER:\n- 4417\n- 8812", (4417.0, 8812.0), True),
            E("The two numbers are 4417 and 8812.", (4417.0, 8812.0), True),
        ),
    ),
    Rule(
        "unit",
        "another unit of the same kind is converted; another kind of quantity is wrong",
        (
            E("ANSWER: 2 kg", 2000, True, "g"),
            E("ANSWER: 2 kg", 2, False, "g"),
            E("ANSWER: 182,000 m", 182, True, "km"),
            E("ANSWER: 18.2 km", 182, False, "km"),
            E("ANSWER: 19.50 euros", 19.5, False, "usd"),
            E("ANSWER: 66 €", 66, False, "usd"),
            E("ANSWER: 1950 cents", 19.5, True, "usd"),
            E("ANSWER: 2 h 35 min", 155, True, "min"),
            E("ANSWER: 16 hours", 16, True, "h"),
            E("ANSWER: 16", 16, True, "h"),
        ),
    ),
)
