"""Normalisers, extractors and scorer builders shared by the harnesses.

Answers come from real models as free text: extra whitespace, markdown, code fences and prose
around the value are normal. Every prompt asks for a final line ``ANSWER: <value>``; the
scorers read that line first and fall back to the last line (or a ``\\boxed{}``) when it is
missing. Near misses (41 for 42, 4.2 for 42, another name) must still fail, so matching is
exact after normalisation, never "contains".
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from mapelite.harnesses.base import Scorer

ANSWER_INSTRUCTION = "End your reply with a final line of the form `ANSWER: <value>`."


def answer_form(value_hint: str) -> str:
    """The closing instruction of a prompt, naming what the value should look like."""
    return f"End your reply with a final line of the form `ANSWER: <{value_hint}>`."


def question_prompt(intro: str, material: str, question: str, value_hint: str) -> str:
    """A prompt: what to do, the material to work from, the question, the answer form."""
    return f"{intro}\n\n{material}\n\nQuestion: {question}\n\n{answer_form(value_hint)}"


_ANSWER_LINE = re.compile(r"(?:^|[\s(])(?:final\s+)?answer\s*[:：=]\s*(.*)$", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_MARKDOWN_CHARS = re.compile(r"[*_`#>~]+")
_LEAD_IN = re.compile(
    r"^(?:so,?\s+|thus,?\s+|therefore,?\s+)?(?:the\s+)?(?:final\s+)?(?:answer|result)"
    r"(?:\s+is|\s*[:：=])\s*",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")
_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*$")
_NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])")
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
    line = unicodedata.normalize("NFKC", line)
    line = _MARKDOWN_CHARS.sub("", line)
    line = re.sub(r"^\s*(?:[-•]\s+)", "", line)
    return " ".join(line.split())


def nonempty_lines(text: str) -> list[str]:
    lines = (clean_line(line) for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("```")]


def answer_line(text: str) -> str | None:
    """The value of the last ``ANSWER: <value>`` line, or None when there is none.

    A bare ``ANSWER:`` followed by the value on the next line is accepted too.
    """
    lines = nonempty_lines(text)
    for index in range(len(lines) - 1, -1, -1):
        match = _ANSWER_LINE.search(lines[index])
        if match is None:
            continue
        value = match.group(1).strip()
        if value:
            return value
        if index + 1 < len(lines):
            return lines[index + 1]
    return None


def final_answer(text: str) -> str:
    """The answer a reply commits to: its ANSWER line, else a ``\\boxed{}``, else its last line."""
    value = answer_line(text)
    if value is not None:
        return value
    boxed = _BOXED.findall(text)
    if boxed:
        return str(boxed[-1])
    lines = nonempty_lines(text)
    return lines[-1] if lines else ""


def normalize_text(text: str) -> str:
    """Lower case, no markdown, no quotes, no lead-in, no article, no trailing punctuation."""
    text = clean_line(text).lower()
    text = _LEAD_IN.sub("", text)
    text = text.strip(" \t\"'“”‘’.,;:!?")
    text = _ARTICLE.sub("", text)
    return " ".join(text.split())


def text_matches(answer: str, expected: Iterable[str]) -> bool:
    """Normalised exact match of the reply's final answer against any accepted form."""
    accepted = {normalize_text(form) for form in expected}
    candidate = final_answer(answer)
    candidates = {normalize_text(candidate), normalize_text(_TRAILING_PAREN.sub("", candidate))}
    return bool(accepted & candidates)


def parse_numbers(text: str) -> list[float]:
    """Every number in the text, in order; ``1,250`` is one thousand two hundred fifty."""
    return [float(match.replace(",", "")) for match in _NUMBER.findall(text)]


def answer_number(text: str) -> float | None:
    """The number a reply commits to: the first number on its ANSWER line, else the first
    number after the last "answer is", else the last number of its final line."""
    value = answer_line(text)
    if value is not None:
        numbers = parse_numbers(value)
        return numbers[0] if numbers else None
    boxed = _BOXED.findall(text)
    if boxed:
        numbers = parse_numbers(str(boxed[-1]))
        return numbers[0] if numbers else None
    lead_ins = list(re.finditer(r"answer\s+is", text, re.IGNORECASE))
    if lead_ins:
        numbers = parse_numbers(text[lead_ins[-1].end() :])
        if numbers:
            return numbers[0]
    lines = nonempty_lines(text)
    numbers = parse_numbers(lines[-1]) if lines else []
    return numbers[-1] if numbers else None


def number_matches(answer: str, expected: float) -> bool:
    value = answer_number(answer)
    if value is None:
        return False
    return abs(value - expected) <= 1e-9 * max(1.0, abs(expected))


def exact_text(*accepted: str) -> Scorer:
    """Scorer: 1.0 when the final answer is one of the accepted forms, else 0.0."""
    if not accepted:
        raise ValueError("exact_text needs at least one accepted form")
    return safe_scorer(lambda answer: 1.0 if text_matches(answer, accepted) else 0.0)


def exact_number(expected: float) -> Scorer:
    """Scorer: 1.0 when the final answer's number equals ``expected``, else 0.0."""
    return safe_scorer(lambda answer: 1.0 if number_matches(answer, expected) else 0.0)


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
