"""The SHAPE tasks: specification, hidden tests, a right answer and a subtly buggy one.

Each test is a ``Case``: the function called with these arguments must return a value equal in
type and value to the expected one (``shape_tests.same_value``). Each near miss passes some of
the tests, not all, so partial credit is exercised.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapelite.harnesses.shape_tests import Case


@dataclass(frozen=True)
class ShapeTask:
    id: str
    function_name: str
    signature: str
    specification: str
    tests: tuple[Case, ...]
    reference: str
    near_miss: str


def _reply(intro: str, code: str, outro: str) -> str:
    return f"{intro}\n\n```python\n{code.strip()}\n```\n\n{outro}"


SHAPE_TASKS: tuple[ShapeTask, ...] = (
    ShapeTask(
        id="shape-01",
        function_name="is_palindrome",
        signature="is_palindrome(text: str) -> bool",
        specification=(
            "returns True when the text reads the same forwards and backwards, ignoring case "
            "and every character that is not a letter or a digit."
        ),
        tests=(
            Case(("racecar",), True),
            Case(("A man, a plan, a canal: Panama",), True),
            Case(("hello",), False),
            Case(("",), True),
            Case(("No 'x' in Nixon",), True),
            Case(("ab",), False),
        ),
        reference=_reply(
            "Here's a simple implementation:",
            """
def is_palindrome(text: str) -> bool:
    cleaned = [ch.lower() for ch in text if ch.isalnum()]
    return cleaned == cleaned[::-1]
""",
            "It keeps only letters and digits, lower-cases them and compares with the reverse.",
        ),
        near_miss=_reply(
            "Here's a simple implementation:",
            """
def is_palindrome(text: str) -> bool:
    lowered = text.lower()
    return lowered == lowered[::-1]
""",
            "It lower-cases the text and compares it with its reverse.",
        ),
    ),
    ShapeTask(
        id="shape-02",
        function_name="run_length_encode",
        signature="run_length_encode(text: str) -> str",
        specification=(
            "encodes each run of equal characters as the character followed by the run length, "
            'e.g. "aaabcc" -> "a3b1c2"; the empty string encodes to "".'
        ),
        tests=(
            Case(("aaabcc",), "a3b1c2"),
            Case(("",), ""),
            Case(("a",), "a1"),
            Case(("abab",), "a1b1a1b1"),
            Case(("zzzzzzzzzzzz",), "z12"),
        ),
        reference=_reply(
            "Sure! Here is the function:",
            """
def run_length_encode(text: str) -> str:
    if not text:
        return ""
    parts = []
    current, count = text[0], 1
    for ch in text[1:]:
        if ch == current:
            count += 1
        else:
            parts.append(f"{current}{count}")
            current, count = ch, 1
    parts.append(f"{current}{count}")
    return "".join(parts)
""",
            "Runs are counted in one pass, and the last run is flushed after the loop.",
        ),
        near_miss=_reply(
            "Sure! Here is the function:",
            """
def run_length_encode(text: str) -> str:
    if not text:
        return ""
    parts = []
    current, count = text[0], 1
    for ch in text[1:]:
        if ch == current:
            count += 1
        else:
            parts.append(f"{current}{count}")
            current, count = ch, 1
    return "".join(parts)
""",
            "Runs are counted in one pass.",
        ),
    ),
    ShapeTask(
        id="shape-03",
        function_name="second_largest",
        signature="second_largest(numbers: list[int]) -> int | None",
        specification=(
            "returns the second largest DISTINCT value in the list, or None when the list has "
            "fewer than two distinct values."
        ),
        tests=(
            Case(([3, 1, 4, 1, 5],), 4),
            Case(([5, 5, 4],), 4),
            Case(([7],), None),
            Case(([2, 2],), None),
            Case(([-1, -5, -3],), -3),
            Case(([10, 9],), 9),
        ),
        reference=_reply(
            "The code below removes duplicates first:",
            """
def second_largest(numbers: list[int]) -> int | None:
    distinct = sorted(set(numbers))
    if len(distinct) < 2:
        return None
    return distinct[-2]
""",
            "Using a set makes sure repeated maximum values are not counted twice.",
        ),
        near_miss=_reply(
            "The code below sorts the list:",
            """
def second_largest(numbers: list[int]) -> int | None:
    if len(numbers) < 2:
        return None
    return sorted(numbers)[-2]
""",
            "Sorting puts the second largest value in the second-to-last position.",
        ),
    ),
    ShapeTask(
        id="shape-04",
        function_name="word_frequencies",
        signature="word_frequencies(text: str) -> dict[str, int]",
        specification=(
            "counts words case-insensitively. A word is a maximal run of letters a-z after "
            "lower-casing; every other character separates words. Return a dict from each "
            "lower-case word to its count."
        ),
        tests=(
            Case(("the cat and the hat",), {"the": 2, "cat": 1, "and": 1, "hat": 1}),
            Case(("Hello, hello!",), {"hello": 2}),
            Case(("",), {}),
            Case(("One two TWO three three THREE",), {"one": 1, "two": 2, "three": 3}),
            Case(("well-known well",), {"well": 2, "known": 1}),
        ),
        reference=_reply(
            "Here is one way to do it with a regular expression:",
            """
import re
from collections import Counter


def word_frequencies(text: str) -> dict[str, int]:
    return dict(Counter(re.findall(r"[a-z]+", text.lower())))
""",
            "`re.findall` picks out the runs of letters and `Counter` tallies them.",
        ),
        near_miss=_reply(
            "Here is one way to do it:",
            """
def word_frequencies(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts
""",
            "The text is lower-cased and split on whitespace, then each word is counted.",
        ),
    ),
    ShapeTask(
        id="shape-05",
        function_name="merge_intervals",
        signature="merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]",
        specification=(
            "merges overlapping or touching closed intervals (start, end) and returns them as "
            "tuples sorted by start. The input may be unsorted; (1, 4) and (4, 5) touch and "
            "merge into (1, 5)."
        ),
        tests=(
            # The prompt asks for tuples but does not fix the outer container's type.
            Case(([(1, 3), (2, 6), (8, 10)],), [(1, 6), (8, 10)], loose_sequences=True),
            Case(([(5, 7), (1, 2)],), [(1, 2), (5, 7)], loose_sequences=True),
            Case(([(1, 4), (4, 5)],), [(1, 5)], loose_sequences=True),
            Case(([],), [], loose_sequences=True),
            Case(([(1, 10), (2, 3)],), [(1, 10)], loose_sequences=True),
        ),
        reference=_reply(
            "Sort by start, then sweep:",
            """
def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
""",
            "Sorting first means each interval only needs to be compared with the last merged one.",
        ),
        near_miss=_reply(
            "Sweep through the intervals:",
            """
def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in intervals:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
""",
            "Each interval is compared with the last merged one.",
        ),
    ),
    ShapeTask(
        id="shape-06",
        function_name="roman_to_int",
        signature="roman_to_int(numeral: str) -> int",
        specification=(
            "converts a valid Roman numeral in upper case (I, V, X, L, C, D, M, with the usual "
            "subtractive forms such as IV and CM) to an integer."
        ),
        tests=(
            Case(("III",), 3),
            Case(("IV",), 4),
            Case(("IX",), 9),
            Case(("LVIII",), 58),
            Case(("MCMXCIV",), 1994),
            Case(("MMXXIV",), 2024),
        ),
        reference=_reply(
            "Here's the function:",
            """
def roman_to_int(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, ch in enumerate(numeral):
        value = values[ch]
        if i + 1 < len(numeral) and values[numeral[i + 1]] > value:
            total -= value
        else:
            total += value
    return total
""",
            "A symbol followed by a larger one is subtracted; otherwise it is added.",
        ),
        near_miss=_reply(
            "Here's the function:",
            """
def roman_to_int(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    return sum(values[ch] for ch in numeral)
""",
            "Each symbol's value is looked up and added.",
        ),
    ),
)
