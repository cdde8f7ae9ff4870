"""Reading the final answer of a reply the way a careful human grader does.

The rules are named and listed, with labelled examples, in ``grammar``; this module carries
them out. A reply (in plain form, ``forms``) commits to its final answer on its ``ANSWER:``
line(s); without one, on a ``\\boxed{}``, an "the answer is ..." lead-in, the bold text of its
last paragraph or its last line. The grader then reads that answer:

- a hedge ("16 or 17", "chef, cook, or waiter") is right only when every alternative is right;
- a correction ("17 ... actually 16", "ANSWER: Keva ... wait, ANSWER: Sora") is read by the
  value it ends on; a retraction that names no new value ("... actually I'm not sure") and two
  final answers that disagree with no correction between them are wrong;
- working on the answer line ("ceil(100/6) = 17") counts for its final value;
- a parenthetical aside is ignored unless it offers another answer;
- number words ("sixteen"), thousands separators ("13,670", "13 670") and a short sentence
  around the value ("Amy owns the cat") are fine.

Matchers here return plain booleans; the scorer builders live in ``scoring.py``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mapelite.harnesses import forms
from mapelite.harnesses.numbers import (
    CLOCK,
    TIME,
    UNIT_KINDS,
    Quantity,
    clock_minutes,
    numbers_in,
    quantities_in,
    words_to_digits,
)

_MARKDOWN = re.compile(r"[*_`#>~]+")
_BULLET = re.compile(r"^\s*(?:[-•]\s+|\d+[.)]\s+)")
_ANSWER_LINE = re.compile(
    r"^(?:(?:(?:final|correct(?:ed)?|revised|updated|new)\s+)?answer|"
    r"final(?:\s+(?:total|result|value|amount|time|count|day|name|number))?)\s*[:：=]\s*(.*)$",
    re.I,
)
_PLACEHOLDER = re.compile(r"^<[^<>]*>$")
_BOLD = re.compile(r"\*\*([^*\n]+?)\*\*|__([^_\n]+?)__")
_LEAD_IN = re.compile(
    r"(?:final\s+answer|the\s+answer|answer|\b(?:the\s+)?(?:final|total|resulting)\s+"
    r"(?:[a-z]+\s+){0,2}?(?:is|comes\s+to|would\s+be|will\s+be)\b)\s*(?:is|would\s+be|"
    r"should\s+be|:|=)?\s*",
    re.I,
)
_LEAD_IN_START = re.compile(
    r"^(?:so,?\s+|thus,?\s+|therefore,?\s+)?(?:the\s+)?(?:final\s+)?(?:answer|result)"
    r"(?:\s+is|\s*[:：=])\s*",
    re.I,
)
_PAREN = re.compile(r"\(([^()]*)\)")
RETRACTION = re.compile(
    r"\b(?:actually|wait|correction|i\s+mean|i\s+meant|scratch\s+that|make\s+that|"
    r"on\s+second\s+thought|or\s+rather|oops|sorry|my\s+mistake|let\s+me\s+(?:correct|fix|"
    r"recheck|re-?check|redo)|correcting|i\s+made\s+a\s+(?:mistake|typo|error)|"
    r"no,\s+it(?:'s|\s+is)|hold\s+on)\b",
    re.I,
)
HEDGE = re.compile(
    r"\bor\b|\beither\b|\bmaybe\b|\bpossibly\b|\bperhaps\b|\bprobably\b|\bnot\s+sure\b|"
    r"\bunsure\b|\bdepending\b|\bcould\s+be\b|\bmight\s+be\b|\bbetween\b|\s/\s|"
    r"\bif\b|\bunless\b|\botherwise\b|\balternatively\b",
    re.I,
)
_CLAUSE_SPLIT = re.compile(
    r";|,(?!\d{3}(?!\d))|\b(?:and|but|since|because|while|whereas|though|although|after|before|at)\b",
    re.I,
)
_NEGATED_NUMBER = re.compile(
    r"(?:\bnot|\brather\s+than|\binstead\s+of)\s+[$€£]?-?\d[\d,.:]*(?:\s*[^\W\d_]+)?", re.I
)
_APPROXIMATE = re.compile(r"\bor\s+(?:so|thereabouts)\b|\bgive\s+or\s+take\b", re.I)
_HYPHENED_DIGITS = re.compile(r"(?<![\w.-])\d(?:-\d){2,}(?![\w-])")
_ALTERNATIVE_SPLIT = re.compile(
    r",|;|\s/\s|\bor\b|\beither\b|\bmaybe\b|\bpossibly\b|\bperhaps\b|\bprobably\b|\band\b|"
    r"\bdepending\b.*$|\bbetween\b",
    re.I,
)
_WORKING = re.compile(
    r"=|:\s|≈|→|=>|\bso\b|\btherefore\b|\bthus\b|\bhence\b|\bgives\b|\bgiving\b|\bequals\b|"
    r"\bwhich\s+is\b|\bthat\s+is\b|\bthat's\b",
    re.I,
)


def clean(text: str) -> str:
    """NFKC, no markdown decoration or leading bullet, single spaces."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    text = _MARKDOWN.sub("", text)
    text = _BULLET.sub("", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class FinalAnswer:
    """What a reply commits to: each final answer it states (after corrections), and whether a
    later retraction took the answer back without giving another."""

    finals: tuple[str, ...]
    after: str = ""
    retracted: bool = False

    @property
    def retracted_later(self) -> bool:
        """Text after the answer line takes it back and names no new value."""
        return self.retracted

    @property
    def committed(self) -> str | None:
        """The one answer the reply ends on (the last final), or None when it has none."""
        return self.finals[-1] if self.finals and not self.retracted else None


_GIVE_UP = re.compile(
    r"\b(?:not\s+sure|unsure|no\s+idea|(?:that|this|it)(?:'s|\s+is)\s+(?:wrong|incorrect)|"
    r"i\s+was\s+wrong|ignore\s+(?:that|this|the\s+above)|disregard|can(?:'t|not)\s+(?:tell|"
    r"say|be\s+sure)|don't\s+know)\b",
    re.I,
)


_NEW_VALUE = re.compile(
    r"(?:\banswer\b(?:\s+is|\s+should\s+be|\s+would\s+be)?\s*[:：=]?|\bshould\s+be\b|"
    r"\bit(?:'s|\s+is)\b|\bis\s+really\b|\binstead\b\s*[:,]?|\bmake\s+that\b|\bi\s+mean\b)\s*",
    re.I,
)


def is_answer_line(line: str) -> bool:
    """A (cleaned) line that starts with ``ANSWER:`` / ``Final answer:``."""
    return _ANSWER_LINE.match(line) is not None


def _correction_after(text: str) -> tuple[str | None, bool]:
    """Prose after an answer line: the new value a correction in it gives, and whether it
    took the answer back (a correction without a new value)."""
    marker = _last(RETRACTION, text)
    if marker is None:
        concluded = _last(_NOTE_CONCLUDES, text)
        # "Note: since Day 20 it has moved to Tuesdays, so Tuesday is the current day": a
        # note that concludes on another value takes the answer line's place
        return (concluded.group("value").strip(" ."), False) if concluded else (None, False)
    tail = text[marker.start() :]
    news = list(_NEW_VALUE.finditer(tail))
    if news:
        value = re.split(r"(?<=[^\d])[.!?](?:\s|$)|\n", tail[news[-1].end() :], maxsplit=1)[0]
        value = value.strip(" .")
        if value and not _GIVE_UP.search(value):
            return value, False
    if _GIVE_UP.search(tail) or _CONFIRMS.search(tail):
        return None, _GIVE_UP.search(tail) is not None
    concludes = [s for s in _SENTENCE.split(tail) if _CONCLUSION.match(s.strip())]
    if concludes and not _CONFIRMS.search(concludes[-1]):
        # "Wait - the Day 4 entry ... So the garden's number is 9.": a rethink that concludes
        return concludes[-1].strip(" ."), False
    if _CORRECTION.search(text[marker.start() - 40 if marker.start() > 40 else 0 :]):
        # "Correction: I mis-added ... so the train actually arrives at 12:35.": the
        # correction ends on its last sentence that states a value
        stated = [s for s in _SENTENCE.split(tail) if re.search(r"\d|[A-Z][a-z]", s)]
        if stated and not _CONFIRMS.search(stated[-1]):
            return stated[-1].strip(" ."), False
    return None, _GIVE_UP.search(tail) is not None


_NOTE_CONCLUDES = re.compile(
    r"\b(?:note|update|however|but)\b[^\n]*?\b(?:so|therefore|thus|hence)\s*,?\s+"
    r"(?P<value>[^.\n]*?\b(?:is|are)\s+(?:now\s+)?(?:the\s+)?(?:current|correct|right|actual|"
    r"real|true)\b[^.\n]*)",
    re.I,
)
_CONCLUSION = re.compile(r"(?:so|therefore|thus|hence)\b,?\s+[^.]*?\b(?:is|are|=)\s+\S", re.I)
_CORRECTION = re.compile(
    r"\b(?:correction|actually|i\s+(?:mis\w+|made\s+a\s+(?:mistake|typo|error))|oops|"
    r"scratch\s+that|make\s+that|on\s+second\s+thought|my\s+mistake)\b",
    re.I,
)
"""A correction proper, not a check ("wait, let me verify"): the value it ends on stands."""
_CONFIRMS = re.compile(
    r"\b(?:is\s+(?:right|correct)|checks\s+out|confirm\w*|stands|verif\w*|double[- ]check\w*)\b|"
    r"(?:^|[.!?]\s+)(?:correct|right|yes)\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[^\d\s][.!?])\s+|(?<=\d[.!?])\s+(?=[A-Z])|\n")


_LISTED = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def _value_below(raw_lines: list[str], lines: list[str], index: int) -> str:
    """The value under an empty answer line: the next line, or the list that follows it
    ("ANSWER:" then "- 4417" and "- 8812" is "4417; 8812")."""
    below = [
        (raw, line) for raw, line in zip(raw_lines[index + 1 :], lines[index + 1 :], strict=True)
    ]
    below = [(raw, line) for raw, line in below if line][:12]
    if not below:
        return ""
    listed = []
    for raw, line in below:
        if not _LISTED.match(raw):
            break
        listed.append(line)
    return "; ".join(listed) if len(listed) > 1 else below[0][1]


_SIGN_OFF = re.compile(
    r"^\W*(?:(?:i\s+)?hope\s+(?:this|that|it)\b|let\s+me\s+know\b|feel\s+free\b|"
    r"happy\s+to\s+help\b|glad\s+to\s+help\b|if\s+you\s+(?:have|need|want|'d\s+like)\b|"
    r"(?:do\s+)?let\s+me\s+know\b|good\s+luck\b|cheers\b|have\s+a\s+(?:great|nice|good)\b|"
    r"thanks?\s+(?:you\s+)?for\s+(?:asking|the\s+question)\b|any\s+(?:other|more)\s+questions\b|"
    r"would\s+you\s+like\b|want\s+me\s+to\b|shall\s+i\b)",
    re.I,
)


def _without_sign_off(text: str) -> str:
    """The reply without its closing pleasantries ("Hope this helps! Let me know if ..."), which
    a grader skips when looking for the last thing the reply says about the question."""
    lines = text.rstrip().splitlines()
    while lines and (not lines[-1].strip() or _is_sign_off(lines[-1])):
        lines.pop()
    if lines:  # "... ends up with $334.00 in total. Hope this helps!"
        sentences = re.split(r"(?<=[.!?])\s+(?=\S)", lines[-1])
        while len(sentences) > 1 and _is_sign_off(sentences[-1]):
            sentences.pop()
        lines[-1] = " ".join(sentences)
    return "\n".join(lines) if lines else text


def _is_sign_off(line: str) -> bool:
    words = clean(line)
    return bool(_SIGN_OFF.match(words)) or (bool(words) and not re.search(r"[\w]", words))


def read_final(text: str) -> FinalAnswer:
    """The committed final answer(s) of a reply (see the module docstring for the order)."""
    boxed = forms.boxed_values(text)  # before ``plain`` typesets the boxes away
    text = _without_sign_off(forms.plain(text))
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
            value = _value_below(raw_lines, lines, index)
        if value and not _PLACEHOLDER.match(value):
            between = " ".join(lines[last_index + 1 : index]) if finals else ""
            if finals and (RETRACTION.search(between) or RETRACTION.search(finals[-1])):
                finals = []  # "ANSWER: Keva ... wait, ... ANSWER: Sora": the correction stands
            finals.append(value)
            last_index = index
    if finals:
        after = " ".join(line for line in lines[last_index + 1 :] if line)
        corrected, retracted = _correction_after(after)
        if corrected is not None:
            return FinalAnswer((corrected,), after)
        return FinalAnswer(tuple(finals), after, retracted)
    if boxed:
        return FinalAnswer(tuple(clean(value) for value in boxed))
    field = _json_answer(text)
    if field is not None:
        return FinalAnswer((field,))
    flat = "\n".join(lines)
    lead_ins = list(_LEAD_IN.finditer(flat))
    if lead_ins:
        rest = flat[lead_ins[-1].end() :].split("\n", 1)[0].strip()
        if rest:
            return FinalAnswer((rest,))
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if paragraphs:
        bold = [a or b for a, b in _BOLD.findall(paragraphs[-1])]
        if len(bold) > 1 and len(paragraphs[-1].split()) <= 25 and "\n" not in paragraphs[-1]:
            # "The two numbers are **3550393** and **7993386**.": the sentence is the answer
            return FinalAnswer((clean(paragraphs[-1]),))
        if bold:
            return FinalAnswer((clean(bold[-1]),))
    nonempty = [line for line in lines if line]
    listed = _closing_list(raw_lines)
    if listed:
        return FinalAnswer((listed,))
    return FinalAnswer((_last_statement(nonempty[-1]),) if nonempty else ())


def _closing_list(raw_lines: list[str]) -> str | None:
    """A reply that ends on a list of bare values ("- 1684800" / "- 8307689") states them
    all: "1684800; 8307689" (a list of candidates where one is asked is then a hedge)."""
    items: list[str] = []
    for raw in reversed([line for line in raw_lines if line.strip()]):
        if not _LISTED.match(raw):
            break
        items.append(clean(raw))
    if len(items) < 2 or any(len(item.split()) > 3 for item in items):
        return None
    return "; ".join(reversed(items))


_ANSWER_KEY = (
    re.compile(r"answer", re.I),
    re.compile(r"final|result", re.I),
    re.compile(r"total|amount|value", re.I),
)


def _json_answer(text: str) -> str | None:
    """A reply that is only a JSON object (the format asked for was ignored) answers with
    its answer-like field ("final_amount_dollars": 348), else its one scalar field."""
    body = text.strip()
    fenced = re.fullmatch(r"```[\w-]*\n(.*?)\n?```", body, re.DOTALL)
    body = fenced.group(1).strip() if fenced else body
    if not (body.startswith("{") and body.endswith("}")):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    scalars = {k: v for k, v in value.items() if isinstance(v, (str, int, float)) and v != ""}
    for pattern in _ANSWER_KEY:
        keys = [key for key in scalars if pattern.search(str(key))]
        if len(keys) == 1:
            return str(scalars[keys[0]])
    return str(next(iter(scalars.values()))) if len(scalars) == 1 else None


def _last_statement(line: str) -> str:
    """The part of a long last line a reader takes as its answer: its last sentence that
    states a value ("... so the cat and the dog go to Amy and Cara. Amy owns the cat.")."""
    sentences = [s for s in _SENTENCE.split(line) if s.strip()]
    if len(line.split()) <= 16 or len(sentences) < 2:
        return line
    stating = [s for s in sentences if re.search(r"\d|(?<!^)(?<![.!?]\s)\b[A-Z][a-z]", s)]
    return stating[-1].strip() if stating else line


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = list(pattern.finditer(text))
    return found[-1] if found else None


def corrected(segment: str) -> str | None:
    """A final-answer segment after its last self-correction ("17, actually 16" -> "16");
    None when the correction takes the answer back without a new one."""
    marker = _last(RETRACTION, segment)
    if marker is None:
        return segment
    tail = segment[marker.end() :].strip(" ,;:.-–—…")
    tail = _NEW_VALUE.sub("", tail, count=1) if _NEW_VALUE.match(tail) else tail
    if not tail or _GIVE_UP.search(tail):
        return None
    return tail


def strip_lead_in(segment: str) -> str:
    return _LEAD_IN_START.sub("", segment).strip()


def _restated(segment: str, has_value: Callable[[str], bool]) -> str | None:
    """A value restated in brackets at the end of a segment ("five past ten (10:05)"): what
    the words said, in figures; None when the segment does not end on such an aside."""
    match = re.search(r"\(([^()]*)\)\W*$", segment)
    if match is None or not has_value(match.group(1)) or HEDGE.search(match.group(1)):
        return None
    return match.group(1)


def drop_asides(segment: str) -> tuple[str, bool]:
    """The segment without parenthetical asides, and whether an aside offered another answer."""
    offers_other = False

    def replace(match: re.Match[str]) -> str:
        nonlocal offers_other
        if HEDGE.search(match.group(1)) or RETRACTION.search(match.group(1)):
            offers_other = True
        return " "

    return " ".join(_PAREN.sub(replace, segment).split()), offers_other


_OFFERS = re.compile(
    r"\bor\b|\bmaybe\b|\bperhaps\b|\bpossibly\b|\beither\b|\bnot\s+sure\b|\bunsure\b|"
    r"\bmight\s+be\b|\bcould\s+be\b|\balternatively\b",
    re.I,
)
"""Words that offer another answer beside a single value ("12 or maybe something else")."""
_LIST_LEAD = re.compile(r"\b(?:are|were|is|was)\b|:\s", re.I)
_RELATIVE = re.compile(r",\s*(?:which|that)\s*$", re.I)


def final_value_part(segment: str, has_value: Callable[[str], bool]) -> str:
    """After working ("a = b = 17", "16.67, so 17"), the part that states the final value."""
    cuts, colons = [], 0
    for match in _WORKING.finditer(segment):
        if match.group(0).startswith(":"):
            colons += 1
            if colons > 1:  # "Sam: 16, Lee: 12" labels values; only a first colon leads in
                continue
        elif (
            _RELATIVE.search(segment[: match.start()])
            and len(numbers_in(segment[: match.start()])) == 1
        ):
            continue  # "17 boxes, which gives 102 muffins": a remark on the answer, not working
        cuts.append(match.end())
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


def committed_number(
    segment: str, *, unit: str | None = None, about: str | None = None
) -> float | None:
    """The single number a final-answer segment commits to, in the asked ``unit`` (a value in
    another unit of the same kind is converted: "2 kg" where grams are asked is 2000); None
    when it commits to none, to several, takes itself back, or is another kind of quantity."""
    segment, offers_other = drop_asides(
        strip_lead_in(words_to_digits(segment, money=_is_money(unit)))
    )
    if offers_other or _APPROXIMATE.search(segment):
        return None
    fixed = corrected(segment)
    if fixed is None or not numbers_in(fixed) or _OFFERS.search(fixed):
        return None
    segment = _HYPHENED_DIGITS.sub(lambda m: m.group(0).replace("-", ""), fixed)
    segment = _NEGATED_NUMBER.sub(" ", CLOCK.sub(" ", segment))
    part = final_value_part(segment, lambda tail: bool(numbers_in(tail)))
    if len(_distinct(quantities_in(part), unit)) > 1:
        part = _stated_of(part, about) or _main_clause(part) or ""
    values = _distinct(quantities_in(part), unit)
    if len(values) > 1:  # "Jonah turns 82 in 2029": the year places the answer in time
        dated = _distinct(quantities_in(_YEAR_REFERENCE.sub(" ", part)), unit)
        values = dated if len(dated) == 1 else values
    if len(values) != 1 or None in values:
        return None
    return values.pop()


def _is_money(unit: str | None) -> bool:
    return unit is not None and unit in UNIT_KINDS and UNIT_KINDS[unit].dimension in _CURRENCIES


_CURRENCIES = {"usd", "eur", "gbp"}


_YEAR_REFERENCE = re.compile(
    r"\b(?:(?:in|by|until|from|since|of|ended|during)\s+(?:the\s+year\s+)?)?(?:1[89]|20)\d\d\b",
    re.I,
)
_STATED = r"[^.;]*?\b(?:is|are|was|were|has|have|owns|gets|needs|pays|costs?|makes?|=|:)\s+"


def _stated_of(part: str, about: str | None) -> str | None:
    """Where an answer states values of several people ("Lee is 12, and Sam, being four years
    older, is 16"), the value stated of the one the question asks about ("How old is Sam?")."""
    if not about:
        return None
    found = list(
        re.finditer(
            rf"\b{re.escape(about)}\b{_STATED}(?:now\s+|exactly\s+|about\s+)?(?P<value>\S+(?:\s\S+)?)",
            part,
            re.I,
        )
    )
    values = {tuple(numbers_in(match.group("value"))[:1]) for match in found}
    return found[-1].group("value") if len(values) == 1 and () not in values else None


def _distinct(quantities: list[Quantity], unit: str | None) -> set[float | None]:
    values = (quantity.in_unit(unit) for quantity in quantities)
    return {None if value is None else round(value, 9) for value in values}


def committed_numbers(segment: str, *, unit: str | None = None) -> list[float] | None:
    """Every value of a final answer that lists several ("4417; 8812", "4417 & 8812",
    "4417,8812"), in the asked unit; None when a hedge or a retraction makes it no list."""
    segment, offers_other = drop_asides(
        strip_lead_in(words_to_digits(segment, money=_is_money(unit)))
    )
    fixed = corrected(segment)
    if fixed is None or offers_other:
        return None
    # "The two numbers are 4417 and 8812", "4417 and 8812 are the two numbers": the side
    # of the verb that lists the values
    sides = [side for side in _LIST_LEAD.split(fixed) if numbers_in(side)]
    fixed = max(reversed(sides), key=lambda side: len(numbers_in(side))) if sides else fixed
    if HEDGE.search(fixed.replace(" and ", " & ").replace(" / ", " & ")):
        return None
    values = [quantity.in_unit(unit) for quantity in quantities_in(_list_separators(fixed))]
    if not values or any(value is None for value in values):
        return None
    return [float(value) for value in values if value is not None]


def _list_separators(text: str) -> str:
    """Separators between listed values read as a comma and a space ("1,2" in a list of
    seven-digit codes is two values, not one thousand and two)."""
    return re.sub(r"\s*[;&/|,+]\s*|\s+and\s+", " , ", text)


_LEADING_PHRASE = re.compile(
    r"^\s*(?:[a-z]+ing\b|with\b|given\b|if\b|when\b|first\b|then\b|from\b|over\b|for\b|"
    r"after\b|once\b|in\s+(?:total\s+)?\d)[^,]*?,(?!\d{3}(?!\d))\s*",
    re.I,
)
"""An opening phrase that sets the scene before the clause that states the result."""


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[^\W\d_]{2,}", text)}


def _main_clause(part: str) -> str | None:
    """Where an answer names several numbers without hedging ("17 boxes, since 16 hold only
    96", "Sam is 16 and Lee is 12"), the first clause with a number is the answer; the others
    must say something of their own; bare extra values ("16, 17", "16 boxes and 17 boxes")
    make a list, which is a hedge."""
    if HEDGE.search(part):
        return None
    lead = _LEADING_PHRASE.match(part)
    if lead and numbers_in(part[lead.end() :]):
        # "Starting with $35 and adding $13 a week for 23 weeks, Esme ends up with $334": the
        # opening phrase sets the scene, the clause after it states the result
        part = part[lead.end() :]
        if len(set(numbers_in(part))) == 1:
            return part
    clauses = [clause for clause in _CLAUSE_SPLIT.split(part) if clause.strip()]
    numbered = [clause for clause in clauses if numbers_in(clause)]
    if not numbered:
        return None
    first, others = numbered[0], numbered[1:]
    if any(_words(other) <= _words(first) for other in others):
        return None
    return first


def number_matches(
    text: str, expected: float, *, unit: str | None = None, about: str | None = None
) -> bool:
    reading = read_final(text)
    if not reading.finals or reading.retracted:
        return False
    tolerance = 1e-9 * max(1.0, abs(expected))
    for segment in reading.finals:
        value = committed_number(segment, unit=unit, about=about)
        if value is None or abs(value - expected) > tolerance:
            return False
    return True


def numbers_match(text: str, expected: Iterable[float], *, unit: str | None = None) -> bool:
    """The final answer lists exactly the ``expected`` values, in any order, nothing more."""
    wanted = sorted(round(value, 9) for value in expected)
    reading = read_final(text)
    if not reading.finals or reading.retracted:
        return False
    for segment in reading.finals:
        values = committed_numbers(segment, unit=unit)
        if values is None or sorted(round(value, 9) for value in values) != wanted:
            return False
    return True


def time_matches(text: str, expected_minutes: int) -> bool:
    """The committed clock time equals ``expected_minutes`` after midnight (am/pm honoured)."""
    reading = read_final(text)
    if not reading.finals or reading.retracted:
        return False
    for segment in reading.finals:
        restated = _restated(segment, lambda text: TIME.search(text) is not None)
        segment, offers_other = drop_asides(strip_lead_in(segment))
        fixed = corrected(segment)
        if offers_other or fixed is None or _APPROXIMATE.search(fixed):
            return False
        segment = fixed
        segment = _NEGATED_NUMBER.sub(" ", segment)
        part = final_value_part(segment, lambda tail: TIME.search(tail) is not None)
        last_clause = re.split(r"\b(?:so|therefore|thus|hence)\b|[,;]", segment)[-1]
        if restated is not None and TIME.search(last_clause) is None:
            part = restated  # "... in at five past ten in the morning (10:05)"
        times = {clock_minutes(match) for match in TIME.finditer(part)}
        if times != {expected_minutes}:
            return False
    return True
