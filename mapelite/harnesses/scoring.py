"""Scorer builders and helpers shared by the harnesses.

Answers come from real models as free text: extra whitespace, markdown, code fences and prose
around the value are normal. Every prompt asks for a final line ``ANSWER: <value>``; how the
final answer is read (hedges, retractions, working, units) lives in ``extraction``, the one
reader every harness uses. Near misses (41 for 42, 4.2 for 42, another name) must still fail.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from mapelite.harnesses import extraction, text_answers
from mapelite.harnesses.base import Scorer
from mapelite.harnesses.numbers import numbers_in, parse_clock

ANSWER_INSTRUCTION = "End your reply with a final line of the form `ANSWER: <value>`."


def answer_form(value_hint: str) -> str:
    """The closing instruction of a prompt, naming what the value should look like."""
    return f"End your reply with a final line of the form `ANSWER: <{value_hint}>`."


def question_prompt(intro: str, material: str, question: str, value_hint: str) -> str:
    """A prompt: what to do, the material to work from, the question, the answer form."""
    return f"{intro}\n\n{material}\n\nQuestion: {question}\n\n{answer_form(value_hint)}"


_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


def safe_scorer(function: Callable[[str], float]) -> Scorer:
    """Wrap a scorer so that it never raises and always returns a value in [0, 1]."""

    @wraps(function)
    def scorer(answer: str) -> float:
        try:
            value = float(function(answer if isinstance(answer, str) else str(answer)))
        except Exception:
            return 0.0
        if value != value:  # NaN
            return 0.0
        return min(1.0, max(0.0, value))

    return scorer


def clean_line(line: str) -> str:
    """A line without markdown decoration, bullets or surrounding whitespace."""
    return extraction.clean(line)


def nonempty_lines(text: str) -> list[str]:
    lines = (clean_line(line) for line in text.splitlines() if not line.strip().startswith("```"))
    return [line for line in lines if line]


def answer_line(text: str) -> str | None:
    """The value of the last ``ANSWER: <value>`` line, or None when there is none."""
    reading = extraction.read_final(text)
    lines = nonempty_lines(text)
    has_answer_line = any(extraction.is_answer_line(line) for line in lines)
    return reading.finals[-1] if has_answer_line and reading.finals else None


def final_answer(text: str) -> str:
    """The answer a reply commits to (its last stated final answer; see ``extraction``)."""
    finals = extraction.read_final(text).finals
    return finals[-1] if finals else ""


def normalize_text(text: str) -> str:
    """Lower case, no markdown, no quotes, no lead-in, no article, no trailing punctuation."""
    return text_answers.normalize(text)


def text_matches(answer: str, expected: Iterable[str], rivals: Iterable[str] = ()) -> bool:
    """A careful grader's reading: the final answer is one of the accepted forms."""
    return text_answers.text_matches(answer, expected, rivals)


def parse_numbers(text: str) -> list[float]:
    """Every number in the text, in order; ``1,250`` is one thousand two hundred fifty."""
    return numbers_in(text)


def answer_number(text: str) -> float | None:
    """The one number a reply commits to, or None when it commits to none or to several."""
    reading = extraction.read_final(text)
    if not reading.finals or reading.retracted_later:
        return None
    values = {extraction.committed_number(segment) for segment in reading.finals}
    return values.pop() if len(values) == 1 else None


def number_matches(
    answer: str, expected: float, *, unit: str | None = None, about: str | None = None
) -> bool:
    return extraction.number_matches(answer, expected, unit=unit, about=about)


def exact_text(*accepted: str, rivals: Iterable[str] = ()) -> Scorer:
    """Scorer: 1.0 when the final answer is one of the accepted forms, else 0.0.

    ``rivals`` are the item's distractors: a final answer that names one (not negated) next to
    the right value is a hedge.
    """
    if not accepted:
        raise ValueError("exact_text needs at least one accepted form")
    rule = text_answers.TextRule(tuple(accepted), tuple(rivals))
    return safe_scorer(lambda answer: 1.0 if rule.matches(answer) else 0.0)


def exact_number(expected: float, *, unit: str | None = None, about: str | None = None) -> Scorer:
    """Scorer: 1.0 when the final answer's one number equals ``expected``, else 0.0.

    ``unit`` names the asked unit kind (``"usd"``, ``"eur"``, ``"km"``, ``"h"``, ... see
    ``numbers``); a final answer in another unit is wrong. ``about`` names who the question
    asks about ("Sam"): a final answer that states values of several people is read by the
    one it states of them.
    """
    return safe_scorer(
        lambda answer: 1.0 if number_matches(answer, expected, unit=unit, about=about) else 0.0
    )


def exact_numbers(*expected: float, unit: str | None = None) -> Scorer:
    """Scorer: 1.0 when the final answer lists exactly the ``expected`` values, in any order
    and joined any way ("a, b", "a;b", "a & b", "a and b"); an extra value is wrong."""
    return safe_scorer(
        lambda answer: 1.0 if extraction.numbers_match(answer, expected, unit=unit) else 0.0
    )


def exact_time(expected: str) -> Scorer:
    """Scorer: 1.0 when the final answer is the clock time ``expected`` ("HH:MM"); "12:25pm"
    is 12:25, "10:05 pm" is 22:05."""
    minutes = parse_clock(expected)
    return safe_scorer(lambda answer: 1.0 if extraction.time_matches(answer, minutes) else 0.0)


def exact_quote(value: str) -> Scorer:
    """Scorer: 1.0 when the final answer quotes ``value`` exactly, case and form (codes,
    passwords): "Sunflower-88" is not "sunflower-88", "04471" is not "4471"."""
    return safe_scorer(lambda answer: 1.0 if text_answers.quote_matches(answer, value) else 0.0)


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced code block, in order (an unclosed last one too)."""
    return [(lang.lower(), body) for lang, body in _FENCE.findall(text)]


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in the reply (fenced or bare), or None."""
    candidates = [body for _, body in fenced_blocks(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in [m.start() for m in re.finditer(r"\{", candidate)]:
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def contains_word(text: str, word: str) -> bool:
    """Whole-word, case-insensitive search."""
    pattern = r"(?<![\w])" + re.escape(word.lower()) + r"(?![\w])"
    return re.search(pattern, unicodedata.normalize("NFKC", text).lower()) is not None


def unwrap_fence(text: str) -> str:
    """The body when the whole reply is one fenced block; else the reply, stripped."""
    stripped = text.strip()
    match = re.fullmatch(r"```[^\n]*\n(.*?)\n?```", stripped, re.DOTALL)
    return match.group(1).strip() if match else stripped


def count_words(text: str) -> int:
    """Words are whitespace-separated tokens holding at least one letter or digit."""
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))
