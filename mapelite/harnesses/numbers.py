"""Numbers, clock times and units as written by people: "13,670", "13 670", "sixteen",
"nine-one-one", "12:25pm", "$19.50", "182 km"."""

from __future__ import annotations

import re

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

_UNITS: dict[str, tuple[str, ...]] = {
    "usd": (r"\$", r"us\$", r"usd", r"dollars?", r"us\s+dollars?"),
    "eur": (r"€", r"eur", r"euros?"),
    "gbp": (r"£", r"gbp", r"pounds?\s+sterling", r"pounds?"),
    "km": (r"km", r"kms", r"kilomet(?:re|er)s?"),
    "m": (r"m", r"met(?:re|er)s?"),
    "mi": (r"mi", r"miles?"),
    "h": (r"h", r"hrs?", r"hours?"),
    "min": (r"min", r"mins", r"minutes?"),
}
_UNIT_PATTERNS = {
    kind: re.compile(
        "|".join(rf"(?<![\w'])(?:{form})(?![\w])" if form[0].isalpha() else form for form in forms),
        re.I,
    )
    for kind, forms in _UNITS.items()
}


def _words_value(run: str) -> int:
    tokens = [t for t in re.split(r"[\s-]+", run.lower()) if t and t != "and"]
    if len(tokens) > 1 and all(_SMALL.get(t, 99) < 10 for t in tokens):
        return int("".join(str(_SMALL[t]) for t in tokens))  # "nine one one" is 911
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


def words_to_digits(text: str) -> str:
    """Number words replaced by digits: "one hundred and eighty-two km" -> "182 km"."""
    return _WORD_RUN.sub(lambda match: str(_words_value(match.group(0))), text)


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
