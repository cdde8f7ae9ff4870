"""Text answers (names, days, labels, codes) read by the shared grammar (``grammar``).

A text answer is right when the committed final answer, after corrections, is one of the
accepted forms, a short sentence naming it (and no rival outside a reason), or a list or hedge
whose every option is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mapelite.harnesses.extraction import (
    HEDGE,
    alternatives,
    clean,
    corrected,
    drop_asides,
    read_final,
    strip_lead_in,
)

_SUBORDINATE = re.compile(
    r"\b(?:because|since|as|while|whereas|although|though|instead\s+of|rather\s+than)\b", re.I
)
_LIST_JOIN = re.compile(r"\s(?:and|&)\s", re.I)
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|\binstead\s+of|\brather\s+than|\bno|\bwithout|\bexcept)\s*[,:]?\s*$",
    re.I,
)
SHORT_SENTENCE_WORDS = 16
_REMARK = re.compile(
    r",\s+(?:who|which|whose|where|when|since|because|as|while|whereas|although|though)\b|"
    r"\s+so\s+that\b|;\s|\s\((?:and|but|while)\b",
    re.I,
)
_LEADING_CLAUSE = re.compile(r"^(?:since|because|as|given\s+that|now\s+that|if)\b[^,]*,\s*", re.I)
_SPELLINGS = {"gray": "grey", "color": "colour", "center": "centre", "theater": "theatre"}


def normalize(text: str) -> str:
    """Lower case, no markdown, quotes, lead-in, article or trailing punctuation; American and
    British spellings of a word are one ("gray" is "grey")."""
    text = strip_lead_in(clean(text)).lower()
    text = text.strip(" \t\"'“”.,;:!?")
    text = re.sub(r"^(?:the|a|an)\s+", "", text)
    return " ".join(_SPELLINGS.get(word, word) for word in text.split())


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


def _shape(token: str) -> str:
    return re.sub(r"[A-Za-z]", "a", re.sub(r"\d", "9", token))


def _another_of_its_shape(segment: str, accepted: tuple[str, ...]) -> bool:
    """Another token written like a quoted value (a code, a password) beside it."""
    shapes = {_shape(form) for form in accepted if any(ch.isdigit() for ch in form)}
    for clause in re.split(r"[,;]|\s[-–—]\s|\b(?:and|but|while)\b", segment):
        tokens = re.findall(r"[\w-]+", clause)
        others = [t for t in tokens if _shape(t) in shapes and t not in accepted]
        words = [t for t in tokens if t not in others and t not in accepted and t.lower() != "or"]
        if others and not words:  # a bare second value, not "the red room is 4417"
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
        if self._said_first(segment):
            return True
        if len(segment.split()) > SHORT_SENTENCE_WORDS:
            # "... was Marisol Ortega, who pushed for long opening hours ...": a remark after
            # the named answer is not part of it
            segment = _LEADING_CLAUSE.sub("", _REMARK.split(segment, maxsplit=1)[0])
            if len(segment.split()) > SHORT_SENTENCE_WORDS:
                return False
        forms = self.accepted if self.case_sensitive else [normalize(f) for f in self.accepted]
        if not any(_mentions(segment, form, self.case_sensitive) for form in forms):
            return False
        # a distractor named in a reason ("... because Leo is on holiday") is not offered
        main = _SUBORDINATE.split(segment, maxsplit=1)[0]
        if self.case_sensitive and _another_of_its_shape(main, self.accepted):
            return False  # "4471, 4417": a second code beside the quoted one is a list
        return not any(_mentions(main, rival, False, as_answer=True) for rival in self.rivals)

    def _said_first(self, segment: str) -> bool:
        """The answer comes first and the reason after it ("No - a genuine bank would never
        ask ...", "Amy: she owns the cat"), with no distractor named in the reason."""
        flags = 0 if self.case_sensitive else re.I
        for form in self.accepted:
            head = re.match(
                rf"^\W*{re.escape(form)}\W*?(?:\s[—–-]+\s|[—–:;.!])\s*(.*)$", segment, flags
            )
            if head and not any(_mentions(head.group(1), r, False, True) for r in self.rivals):
                return True
        return False

    def segment_matches(self, segment: str) -> bool:
        segment, offers_other = drop_asides(clean(segment))
        fixed = corrected(segment)
        if offers_other or fixed is None:
            return False
        segment = fixed
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
        if not reading.finals or reading.retracted:
            return False
        return all(self.segment_matches(segment) for segment in reading.finals)


def text_matches(text: str, accepted: Iterable[str], rivals: Iterable[str] = ()) -> bool:
    return TextRule(tuple(accepted), tuple(rivals)).matches(text)


def quote_matches(text: str, value: str) -> bool:
    """The reply quotes ``value`` exactly (case and form), as its one final answer."""
    return TextRule((value,), case_sensitive=True).matches(text)
