"""Numbers, clock times and units as written by people: "13,670", "13 670", "sixteen",
"nine-one-one", "12:25pm", "$19.50", "182 km"."""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER = re.compile(
    r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d.,])|\d+)"
    r"(?:\.\d+)?(?![\d])"
)
CLOCK = re.compile(r"(?<![\d:.])\d{1,2}[:h]\d{2}(?![\d:])(?:\s*[ap]\.?\s?m\b\.?)?", re.I)
"""A clock time as it appears among numbers ("06:00", "10:05am"): removed before reading one."""
TIME = re.compile(r"(?<![\d:.])(\d{1,2})[:h.](\d{2})(?![\d:])(?:\s*([ap])\.?\s?m\b\.?)?", re.I)
"""A clock time when a time is the answer; "12.25" counts too."""

_SMALL = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_WORD = "|".join(sorted([*_SMALL, *_SCALES], key=len, reverse=True))
_WORD_RUN = re.compile(rf"\b(?:{_WORD})(?:(?:[\s-]+(?:and[\s-]+)?)(?:{_WORD}))*\b", re.I)


@dataclass(frozen=True)
class Unit:
    """A unit kind: its dimension, its size in the dimension's base unit, how it is written."""

    kind: str
    dimension: str
    factor: float
    forms: tuple[str, ...]
    prefix: bool = False  # written before the number ("$5", "€3")


UNITS: tuple[Unit, ...] = (
    Unit("usd", "usd", 1.0, (r"us\$", r"\$"), prefix=True),
    Unit("usd", "usd", 1.0, (r"usd", r"us\s+dollars?", r"dollars?", r"bucks", r"\$")),
    Unit("cent", "usd", 0.01, (r"cents?", r"¢")),
    Unit("eur", "eur", 1.0, (r"€",), prefix=True),
    Unit("eur", "eur", 1.0, (r"eur", r"euros?", r"€")),
    Unit("gbp", "gbp", 1.0, (r"£",), prefix=True),
    Unit("gbp", "gbp", 1.0, (r"gbp", r"pounds?\s+sterling", r"pounds?", r"£")),
    Unit("mm", "length", 0.001, (r"mm", r"millimet(?:re|er)s?")),
    Unit("cm", "length", 0.01, (r"cm", r"centimet(?:re|er)s?")),
    Unit("km", "length", 1000.0, (r"km", r"kms", r"kilomet(?:re|er)s?")),
    Unit("m", "length", 1.0, (r"m", r"met(?:re|er)s?")),
    Unit("mi", "length", 1609.344, (r"mi", r"miles?")),
    Unit("mg", "mass", 0.001, (r"mg", r"milligrams?", r"milligrammes?")),
    Unit("kg", "mass", 1000.0, (r"kg", r"kgs", r"kilos?", r"kilograms?", r"kilogrammes?")),
    Unit("g", "mass", 1.0, (r"g", r"grams?", r"grammes?")),
    Unit("ml", "volume", 0.001, (r"ml", r"millilit(?:re|er)s?")),
    Unit("l", "volume", 1.0, (r"l", r"lit(?:re|er)s?")),
    Unit("s", "time", 1.0, (r"s", r"secs?", r"seconds?")),
    Unit("min", "time", 60.0, (r"min", r"mins", r"minutes?")),
    Unit("h", "time", 3600.0, (r"h", r"hrs?", r"hours?")),
    Unit("day", "time", 86400.0, (r"days?",)),
    Unit("week", "time", 604800.0, (r"weeks?", r"wks?")),
    Unit("year", "age", 1.0, (r"years?(?:\s+old)?", r"yrs?(?:\s+old)?", r"y/?o")),
    Unit("month", "age", 1 / 12, (r"months?(?:\s+old)?",)),
)
UNIT_KINDS = {unit.kind: unit for unit in UNITS if not unit.prefix}
"""The asked unit of an item is one of these kinds ("usd", "km", "g", "h", ...)."""


def _alternation(forms: tuple[str, ...]) -> str:
    return "|".join(sorted(forms, key=len, reverse=True))


_NUMBER_TEXT = (
    r"-?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d.,])|\d+)(?:\.\d+)?"
)
_QUANTITY = re.compile(
    r"(?<![\w.])(?:(?P<pre>"
    + "|".join(f"(?P<p{i}>{_alternation(u.forms)})" for i, u in enumerate(UNITS) if u.prefix)
    + r")\s?)?(?P<num>"
    + _NUMBER_TEXT
    + r")(?![\d])(?:\s?(?P<post>"
    + "|".join(f"(?P<s{i}>{_alternation(u.forms)})" for i, u in enumerate(UNITS) if not u.prefix)
    + r")(?![\w]))?",
    re.I,
)
_UNIT_PATTERNS = {
    kind: re.compile(
        "|".join(
            rf"(?<![\w'])(?:{_alternation(u.forms)})(?![\w])"
            if u.forms[0][0].isalpha()
            else _alternation(u.forms)
            for u in UNITS
            if u.kind == kind
        ),
        re.I,
    )
    for kind in dict.fromkeys(u.kind for u in UNITS)
}


@dataclass(frozen=True)
class Quantity:
    """A number as written, with the unit written next to it (None: a bare number)."""

    value: float
    unit: Unit | None = None

    def in_unit(self, kind: str | None) -> float | None:
        """The value in the asked unit ``kind``; None when it is another kind of quantity (a
        currency, a length where a mass is asked). A bare number is in the asked unit."""
        if kind is None or self.unit is None:
            return self.value
        asked = UNIT_KINDS[kind]
        if self.unit.dimension != asked.dimension:
            return None
        return self.value * self.unit.factor / asked.factor


def quantities_in(text: str) -> list[Quantity]:
    """Every number in the text with its unit; a compound of one dimension ("2 h 35 min",
    "4 hours 12 minutes", "1 km 200 m") is one quantity."""
    found: list[tuple[int, int, Quantity]] = []
    for match in _QUANTITY.finditer(text):
        unit = None
        for name, value in match.groupdict().items():
            if value is not None and name[0] in "ps" and name[1:].isdigit():
                unit = UNITS[int(name[1:])]
                break
        number = float(re.sub(r"[,\s\u00a0\u2009\u202f]", "", match.group("num")))
        found.append((match.start(), match.end(), Quantity(number, unit)))
    merged: list[tuple[int, int, Quantity]] = []
    for start, end, quantity in found:
        if merged:
            p_start, p_end, previous = merged[-1]
            gap = text[p_end:start]
            if (
                previous.unit is not None
                and quantity.unit is not None
                and previous.unit.dimension == quantity.unit.dimension
                and previous.unit.factor > quantity.unit.factor
                and re.fullmatch(r"\s*(?:,|and)?\s*", gap)
            ):
                base = previous.value * previous.unit.factor + quantity.value * quantity.unit.factor
                merged[-1] = (p_start, end, Quantity(base / previous.unit.factor, previous.unit))
                continue
        merged.append((start, end, quantity))
    return [quantity for _, _, quantity in merged]


def _groups_below_100(tokens: list[str]) -> list[int] | None:
    """Tokens without scale words as the numbers under 100 they spell ("nineteen sixty two"
    is 19 and 62); None when a scale word is among them."""
    groups: list[int] = []
    for token in tokens:
        if token not in _SMALL:
            return None
        value = _SMALL[token]
        if groups and 20 <= groups[-1] <= 90 and groups[-1] % 10 == 0 and 0 < value < 10:
            groups[-1] += value  # "sixty two"
        else:
            groups.append(value)
    return groups


def _words_value(run: str, *, money: bool = False) -> float:
    tokens = [t for t in re.split(r"[\s-]+", run.lower()) if t and t != "and"]
    if len(tokens) > 1 and all(_SMALL.get(t, 99) < 10 for t in tokens):
        return int("".join(str(_SMALL[t]) for t in tokens))  # "nine one one" is 911
    groups = _groups_below_100(tokens)
    if groups is not None and len(groups) == 2 and groups[1] >= 10:
        # spoken as pairs: "nineteen sixty-two" is 1962; a price "five seventy-five" is 5.75
        return groups[0] + groups[1] / 100 if money else groups[0] * 100 + groups[1]
    total = current = 0
    for token in tokens:
        if token in _SMALL:
            current += _SMALL[token]
        elif token == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _SCALES[token]
            current = 0
    return total + current


def words_to_digits(text: str, *, money: bool = False) -> str:
    """Number words replaced by digits: "one hundred and eighty-two km" -> "182 km"; with
    ``money`` (a price is asked), "five seventy-five" -> "5.75"."""

    def digits(match: re.Match[str]) -> str:
        value = _words_value(match.group(0), money=money)
        return str(int(value)) if value == int(value) else f"{value:.2f}"

    return _WORD_RUN.sub(digits, text)


def numbers_in(text: str) -> list[float]:
    """Every number in the text, in order; "1,250" and "1 250" are one thousand two hundred
    fifty."""
    return [float(re.sub(r"[,\s\u00a0\u2009\u202f]", "", m)) for m in NUMBER.findall(text)]


def clock_minutes(match: re.Match[str]) -> int:
    """Minutes after midnight of a ``TIME`` match; -1 when it is no valid time."""
    hours, minutes, half = int(match.group(1)), int(match.group(2)), (match.group(3) or "")
    if minutes > 59 or hours > 23 or (half and not 1 <= hours <= 12):
        return -1
    if half.lower() == "p" and hours < 12:
        hours += 12
    elif half.lower() == "a" and hours == 12:
        hours = 0
    return hours * 60 + minutes


def parse_clock(text: str) -> int:
    """Minutes after midnight of a time written "HH:MM"."""
    match = TIME.fullmatch(text.strip())
    if match is None or clock_minutes(match) < 0:
        raise ValueError(f"not a clock time: {text!r}")
    return clock_minutes(match)


def unit_kinds_in(text: str) -> list[str]:
    """The kinds of unit named in the text ("usd", "eur", "km", ...), in no particular order."""
    return [kind for kind, pattern in _UNIT_PATTERNS.items() if pattern.search(text)]
