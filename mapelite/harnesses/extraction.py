"""Reading the final answer of a reply the way a careful human grader does.

A reply commits to its final answer on its ``ANSWER:`` line(s); without one, on a ``\\boxed{}``,
an "the answer is ..." lead-in, the bold text of its last paragraph or its last line. The grader
then reads that answer:

- a hedge ("16 or 17", "chef, cook, or waiter") is right only when every alternative is right;
- a retraction ("17 ... actually 16") and two final answers that disagree are wrong;
- working on the answer line ("ceil(100/6) = 17") counts for its final value;
- a parenthetical aside is ignored unless it offers another answer;
- number words ("sixteen"), thousands separators ("13,670", "13 670") and a short sentence
  around the value ("Amy owns the cat") are fine.

Matchers here return plain booleans; the scorer builders live in ``scoring.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mapelite.harnesses.numbers import (
    CLOCK,
    TIME,
    clock_minutes,
    numbers_in,
    unit_kinds_in,
    words_to_digits,
)

_MARKDOWN = re.compile(r"[*_`#>~]+")
_BULLET = re.compile(r"^\s*(?:[-•]\s+|\d+[.)]\s+)")
_ANSWER_LINE = re.compile(r"^(?:final\s+)?answer\s*[:：=]\s*(.*)$", re.I)
_PLACEHOLDER = re.compile(r"^<[^<>]*>$")
_BOXED = re.compile(r"\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}")
_BOLD = re.compile(r"\*\*([^*\n]+?)\*\*|__([^_\n]+?)__")
_LEAD_IN = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|would\s+be|should\s+be|:|=)\s*", re.I
)
_LEAD_IN_START = re.compile(
    r"^(?:so,?\s+|thus,?\s+|therefore,?\s+)?(?:the\s+)?(?:final\s+)?(?:answer|result)"
    r"(?:\s+is|\s*[:：=])\s*",
    re.I,
)
_PAREN = re.compile(r"\(([^()]*)\)")
RETRACTION = re.compile(
    r"\b(?:actually|wait|correction|i\s+mean|scratch\s+that|make\s+that|on\s+second\s+thought|"
    r"or\s+rather|oops|i\s+made\s+a\s+mistake|no,\s+it(?:'s|\s+is))\b",
    re.I,
)
HEDGE = re.compile(
    r"\bor\b|\beither\b|\bmaybe\b|\bpossibly\b|\bperhaps\b|\bprobably\b|\bnot\s+sure\b|"
    r"\bunsure\b|\bdepending\b|\bcould\s+be\b|\bmight\s+be\b|\bbetween\b|\s/\s|"
    r"\bif\b|\bunless\b|\botherwise\b|\balternatively\b",
    re.I,
)
_CLAUSE_SPLIT = re.compile(
    r"[;,]|\b(?:and|but|since|because|while|whereas|though|although|after|before|at)\b", re.I
)
_NEGATED_NUMBER = re.compile(
    r"(?:\bnot|\brather\s+than|\binstead\s+of)\s+[$€£]?-?\d[\d,.:]*(?:\s*[^\W\d_]+)?", re.I
)
_APPROXIMATE = re.compile(r"\bor\s+(?:so|thereabouts)\b|\bgive\s+or\s+take\b", re.I)
_HYPHENED_DIGITS = re.compile(r"(?<![\w.-])\d(?:-\d){2,}(?![\w-])")
_SUBORDINATE = re.compile(
    r"\b(?:because|since|as|while|whereas|although|though|instead\s+of|rather\s+than)\b", re.I
)
_LIST_JOIN = re.compile(r"\s(?:and|&)\s", re.I)
_ALTERNATIVE_SPLIT = re.compile(
    r",|;|\s/\s|\bor\b|\beither\b|\bmaybe\b|\bpossibly\b|\bperhaps\b|\bprobably\b|\band\b|"
    r"\bdepending\b.*$|\bbetween\b",
    re.I,
)
_WORKING = re.compile(
    r"=|≈|→|=>|\bso\b|\btherefore\b|\bthus\b|\bhence\b|\bgives\b|\bgiving\b|\bequals\b|"
    r"\bwhich\s+is\b|\bthat\s+is\b|\bthat's\b",
    re.I,
)
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|\binstead\s+of|\brather\s+than|\bno|\bwithout|\bexcept)\s*[,:]?\s*$",
    re.I,
)
_LATER_ANSWER = re.compile(r"\banswer\b|\bshould\s+be\b|\bit(?:'s|\s+is)\b|\binstead\b", re.I)
SHORT_SENTENCE_WORDS = 16


def clean(text: str) -> str:
    """NFKC, no markdown decoration or leading bullet, single spaces."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    text = _MARKDOWN.sub("", text)
    text = _BULLET.sub("", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class FinalAnswer:
    """What a reply commits to: each final answer it states, and any text after the last one."""

    finals: tuple[str, ...]
    after: str = ""

    @property
    def retracted_later(self) -> bool:
        """Text after the answer line takes it back ("Wait, ... actually ANSWER: Sora")."""
        marker = RETRACTION.search(self.after)
        return marker is not None and _LATER_ANSWER.search(self.after[marker.start() :]) is not None


def is_answer_line(line: str) -> bool:
    """A (cleaned) line that starts with ``ANSWER:`` / ``Final answer:``."""
    return _ANSWER_LINE.match(line) is not None


def read_final(text: str) -> FinalAnswer:
    """The committed final answer(s) of a reply (see the module docstring for the order)."""
    raw_lines = [line for line in text.splitlines() if not line.strip().startswith("```")]
    lines = [clean(line) for line in raw_lines]
    finals: list[str] = []
    last_index = -1
    for index, line in enumerate(lines):
        match = _ANSWER_LINE.match(line)
        if match is None:
            continue
        value = match.group(1).strip()
        if not value:
            value = next((later for later in lines[index + 1 :] if later), "")
        if value and not _PLACEHOLDER.match(value):
            finals.append(value)
            last_index = index
    if finals:
        after = " ".join(line for line in lines[last_index + 1 :] if line)
        return FinalAnswer(tuple(finals), after)
    boxed = _BOXED.findall(unicodedata.normalize("NFKC", text))
    if boxed:
        return FinalAnswer(tuple(clean(value) for value in boxed))
    flat = "\n".join(lines)
    lead_ins = list(_LEAD_IN.finditer(flat))
    if lead_ins:
        rest = flat[lead_ins[-1].end() :].split("\n", 1)[0].strip()
        if rest:
            return FinalAnswer((rest,))
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if paragraphs:
        bold = [a or b for a, b in _BOLD.findall(paragraphs[-1])]
        if bold:
            return FinalAnswer((clean(bold[-1]),))
    nonempty = [line for line in lines if line]
    return FinalAnswer((nonempty[-1],) if nonempty else ())


def strip_lead_in(segment: str) -> str:
    return _LEAD_IN_START.sub("", segment).strip()


def drop_asides(segment: str) -> tuple[str, bool]:
    """The segment without parenthetical asides, and whether an aside offered another answer."""
    offers_other = False

    def replace(match: re.Match[str]) -> str:
        nonlocal offers_other
        if HEDGE.search(match.group(1)) or RETRACTION.search(match.group(1)):
            offers_other = True
        return " "

    return " ".join(_PAREN.sub(replace, segment).split()), offers_other


def final_value_part(segment: str, has_value: Callable[[str], bool]) -> str:
    """After working ("a = b = 17", "16.67, so 17"), the part that states the final value."""
    cuts = [match.end() for match in _WORKING.finditer(segment)]
    for cut in reversed(cuts):
        tail = segment[cut:]
        if has_value(tail):
            return tail.strip()
    return segment


def alternatives(segment: str) -> list[str]:
    """The candidate answers a hedged segment offers ("chef, cook, or waiter" -> three)."""
    parts = [part.strip(" .!?\"'-–—") for part in _ALTERNATIVE_SPLIT.split(segment)]
    return [part for part in parts if part]


# ---- numbers ---------------------------------------------------------------------------------


def committed_number(segment: str, *, unit: str | None = None) -> float | None:
    """The single number a final-answer segment commits to, or None (none, several, retracted,
    or a unit other than ``unit``)."""
    segment, offers_other = drop_asides(strip_lead_in(words_to_digits(segment)))
    if offers_other or _APPROXIMATE.search(segment):
        return None
    marker = RETRACTION.search(segment)
    if marker and numbers_in(segment[: marker.start()]) and numbers_in(segment[marker.end() :]):
        return None
    segment = _HYPHENED_DIGITS.sub(lambda m: m.group(0).replace("-", ""), segment)
    segment = _NEGATED_NUMBER.sub(" ", CLOCK.sub(" ", segment))
    part = final_value_part(segment, lambda tail: bool(numbers_in(tail)))
    if len({round(value, 9) for value in numbers_in(part)}) > 1:
        part = _main_clause(part) or ""
    values = numbers_in(part)
    if len({round(value, 9) for value in values}) != 1:
        return None
    if unit is not None and any(kind != unit for kind in unit_kinds_in(part)):
        return None
    return values[0]


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[^\W\d_]{2,}", text)}


def _main_clause(part: str) -> str | None:
    """Where an answer names several numbers without hedging ("17 boxes, since 16 hold only
    96", "Sam is 16 and Lee is 12"), the first clause with a number is the answer; the others
    must say something of their own; bare extra values ("16, 17", "16 boxes and 17 boxes")
    make a list, which is a hedge."""
    if HEDGE.search(part):
        return None
    clauses = [clause for clause in _CLAUSE_SPLIT.split(part) if clause.strip()]
    numbered = [clause for clause in clauses if numbers_in(clause)]
    if not numbered:
        return None
    first, others = numbered[0], numbered[1:]
    if any(_words(other) <= _words(first) for other in others):
        return None
    return first


def number_matches(text: str, expected: float, *, unit: str | None = None) -> bool:
    reading = read_final(text)
    if not reading.finals or reading.retracted_later:
        return False
    tolerance = 1e-9 * max(1.0, abs(expected))
    for segment in reading.finals:
        value = committed_number(segment, unit=unit)
        if value is None or abs(value - expected) > tolerance:
            return False
    return True


def time_matches(text: str, expected_minutes: int) -> bool:
    """The committed clock time equals ``expected_minutes`` after midnight (am/pm honoured)."""
    reading = read_final(text)
    if not reading.finals or reading.retracted_later:
        return False
    for segment in reading.finals:
        segment, offers_other = drop_asides(strip_lead_in(segment))
        if offers_other or _APPROXIMATE.search(segment):
            return False
        segment = _NEGATED_NUMBER.sub(" ", segment)
        part = final_value_part(segment, lambda tail: TIME.search(tail) is not None)
        times = {clock_minutes(match) for match in TIME.finditer(part)}
        if times != {expected_minutes}:
            return False
    return True


# ---- text ------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Lower case, no markdown, quotes, lead-in, article or trailing punctuation."""
    text = strip_lead_in(clean(text)).lower()
    text = text.strip(" \t\"'“”.,;:!?")
    text = re.sub(r"^(?:the|a|an)\s+", "", text)
    return " ".join(text.split())


def _mentions(segment: str, form: str, case_sensitive: bool, as_answer: bool = False) -> bool:
    """``form`` occurs as a whole phrase, not right after a negation ("not Sora"); with
    ``as_answer``, a possessive ("Leo's deputy") names someone else, not the answer."""
    flags = 0 if case_sensitive else re.I
    possessive = r"(?!'s\b)" if as_answer else ""
    pattern = r"(?<![\w-])" + re.escape(form) + r"(?:s)?(?![\w-])" + possessive
    for match in re.finditer(pattern, segment, flags):
        if not _NEGATION_BEFORE.search(segment[: match.start()]):
            return True
    return False


@dataclass(frozen=True)
class TextRule:
    """How a text answer is accepted: its forms, distractors, and whether case matters."""

    accepted: tuple[str, ...]
    rivals: tuple[str, ...] = ()
    case_sensitive: bool = False

    def _equal(self, candidate: str) -> bool:
        if self.case_sensitive:
            stripped = clean(candidate).strip(" \t\"'“”.,;:!?")
            return stripped in self.accepted
        accepted = {normalize(form) for form in self.accepted}
        reordered = re.fullmatch(r"([^\W\d_]+),\s*([^\W\d_]+)", normalize(candidate))
        if reordered:  # "Ortega, Marisol" is the name Marisol Ortega
            return f"{reordered.group(2)} {reordered.group(1)}" in accepted
        return normalize(candidate) in accepted

    def _in_sentence(self, segment: str) -> bool:
        if len(segment.split()) > SHORT_SENTENCE_WORDS:
            return False
        forms = self.accepted if self.case_sensitive else [normalize(f) for f in self.accepted]
        if not any(_mentions(segment, form, self.case_sensitive) for form in forms):
            return False
        # a distractor named in a reason ("... because Leo is on holiday") is not offered
        main = _SUBORDINATE.split(segment, maxsplit=1)[0]
        return not any(_mentions(main, rival, False, as_answer=True) for rival in self.rivals)

    def segment_matches(self, segment: str) -> bool:
        segment, offers_other = drop_asides(clean(segment))
        if offers_other or RETRACTION.search(segment):
            return False
        if self._equal(segment):
            return True
        if HEDGE.search(segment):
            options = alternatives(strip_lead_in(segment))
            return bool(options) and all(self._equal(option) for option in options)
        listed = [part for part in _LIST_JOIN.split(strip_lead_in(segment).rstrip(". "))]
        if len(listed) > 1 and all(len(part.split()) <= 2 for part in listed):
            return all(self._equal(part) for part in listed)  # "green and yellow" is a list
        return self._in_sentence(strip_lead_in(segment))

    def matches(self, text: str) -> bool:
        reading = read_final(text)
        if not reading.finals or reading.retracted_later:
            return False
        return all(self.segment_matches(segment) for segment in reading.finals)


def text_matches(text: str, accepted: Iterable[str], rivals: Iterable[str] = ()) -> bool:
    return TextRule(tuple(accepted), tuple(rivals)).matches(text)


def quote_matches(text: str, value: str) -> bool:
    """The reply quotes ``value`` exactly (case and form), as its one final answer."""
    return TextRule((value,), case_sensitive=True).matches(text)
