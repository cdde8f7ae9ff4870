"""The SHAPE tasks: specification, hidden tests, a right answer and a subtly buggy one.

Each test is a ``Case``: the function called with these arguments must return a value equal in
type and value to the expected one (``shape_tests.same_value``). Each near miss passes some of
the tests, not all, so partial credit is exercised.

The hidden tests of a task are its hand-written cases followed by edge cases (EvalPlus-style
augmentation): a seeded input generator per task, aimed at what its specification names or
implies (empty and single inputs, duplicates, negatives, boundaries, digits, underscores,
newlines and non-ASCII letters in text, touching and nested intervals, every subtractive
numeral), with the expected values computed here by running the task's reference code - our
own trusted code, never the candidate's, and never in the sandbox. Hand-written cases alone
let through answers that are right on the examples and wrong on an edge the prompt names. The
inputs are a pure function of the task id, so every process builds the same tests.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapelite.harnesses.shape_extract import extract_code
from mapelite.harnesses.shape_tests import Case


@dataclass(frozen=True)
class ShapeTask:
    id: str
    function_name: str
    signature: str
    specification: str
    tests: tuple[Case, ...]
    """Every hidden test: ``written_tests``, then the generated edge cases."""
    reference: str
    near_miss: str
    written_tests: tuple[Case, ...] = ()
    """The hand-written cases alone (the adversarial set's ``expect k/n`` counts these)."""


def _reply(intro: str, code: str, outro: str) -> str:
    return f"{intro}\n\n```python\n{code.strip()}\n```\n\n{outro}"


Inputs = Callable[[random.Random], list[tuple[Any, ...]]]
"""A task's edge-input generator: argument tuples, fixed edges first, then seeded draws."""


def _rng(task_id: str) -> random.Random:
    digest = hashlib.sha256(f"shape-items|edges|{task_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def _augmented(task: ShapeTask, inputs: Inputs) -> ShapeTask:
    """``task`` with its hand-written cases kept and edge cases from ``inputs`` appended, each
    expecting what the task's reference code returns (run here: trusted bank code) and
    compared as the written cases are (``loose_outer``, ``loose_sequences``)."""
    options = {(case.loose_sequences, case.loose_outer) for case in task.tests}
    assert len(options) == 1, f"{task.id}: its cases compare in different ways"
    loose_sequences, loose_outer = options.pop()
    code = extract_code(task.reference, task.function_name)
    assert code is not None, task.id
    namespace: dict[str, Any] = {}
    exec(compile(code, f"<{task.id} reference>", "exec"), namespace)  # our own reference only
    reference = namespace[task.function_name]
    seen = {repr(case.args) for case in task.tests}
    cases = list(task.tests)
    for args in inputs(_rng(task.id)):
        if repr(args) in seen:
            continue
        seen.add(repr(args))
        cases.append(Case(args, reference(*args), loose_sequences, loose_outer))
    return ShapeTask(
        id=task.id,
        function_name=task.function_name,
        signature=task.signature,
        specification=task.specification,
        tests=tuple(cases),
        reference=task.reference,
        near_miss=task.near_miss,
        written_tests=task.tests,
    )


def _noisy(rng: random.Random, core: str, noise: str) -> str:
    """``core`` with its letters' case flipped at random and ``noise`` characters put between."""
    out = []
    for ch in core:
        if rng.random() < 0.4:
            out.append("".join(rng.choice(noise) for _ in range(rng.randint(1, 2))))
        out.append(ch.upper() if rng.random() < 0.5 else ch)
    return "".join(out)


def _palindrome_inputs(rng: random.Random) -> list[tuple[Any, ...]]:
    # ASCII only: "a letter or a digit" reads the same as isalnum() there, while outside
    # ASCII it could mean str.isalnum() or a-z/0-9, and the prompt does not say which.
    fixed = [
        "a", "A", "Aa", "aB", "  ", ".,!?", "\n", "0P", "1a1", "a1", "12321", "123", "1221",
        "ab_a", "_aba", "a_b_a", "a\nb\tA", "ab\nba", "race a car", "Was it a car or a cat I saw?",
        "Madam, I'm Adam", "No lemon, no melon", "A1b2B1a", "ab2a", "Able was I, ere I saw Elba!",
        "aa" * 50 + "b", "xy" * 40 + "x",
    ]  # fmt: skip
    inputs: list[tuple[Any, ...]] = [(text,) for text in fixed]
    alnum = string.ascii_lowercase + string.digits
    noise = " ,.!?'-_:;\n\t"
    for _ in range(14):
        half = "".join(rng.choice(alnum) for _ in range(rng.randint(1, 6)))
        middle = rng.choice(["", rng.choice(alnum)])
        core = half + middle + half[::-1]
        if rng.random() < 0.5:  # break it: change one character to a different one
            at = rng.randrange(len(half))
            core = core[:at] + rng.choice(alnum.replace(core[at], "")) + core[at + 1 :]
        inputs.append((_noisy(rng, core, noise),))
    return inputs


def _run_length_inputs(rng: random.Random) -> list[tuple[Any, ...]]:
    fixed = [
        "a\n\nb", "\n", "\n\n\na", "  ", "a b", "\t\tx", "aaAA", "aA", "111223", "1",
        "ab", "aab", "abb", "..a..", "éééa", "ñ", "x" * 100, "ab" * 30, "a\r\nb",
    ]  # fmt: skip
    inputs: list[tuple[Any, ...]] = [(text,) for text in fixed]
    alphabet = "aabbZ \n\t_1.é"
    for _ in range(20):
        runs = [rng.choice(alphabet) * rng.randint(1, 12) for _ in range(rng.randint(1, 7))]
        inputs.append(("".join(runs),))
    return inputs


def _second_largest_inputs(rng: random.Random) -> list[tuple[Any, ...]]:
    fixed: list[list[int]] = [
        [], [0], [-5], [3, 3, 3], [-1, -1], [1, 2], [2, 1], [-2, -1], [-10, -20, -30],
        [0, -1], [0, 0, 1], [1, 0, 0], [5, 5, 5, 4, 4], [1, 2, 2], [4, 4, 5, 5],
        [10**18, -(10**18)], [-(10**12), -(10**12) - 1], [7, 7, 7, 7, 8], [2, 3, 1, 3, 2],
    ]  # fmt: skip
    inputs: list[tuple[Any, ...]] = [(values,) for values in fixed]
    for _ in range(16):
        pool = [rng.randint(-50, 50) for _ in range(rng.randint(1, 4))]
        inputs.append(([rng.choice(pool) for _ in range(rng.randint(0, 10))],))
    inputs.append(([rng.randint(-(10**6), 10**6) for _ in range(500)],))
    inputs.append(([rng.randint(-(10**6), -1) for _ in range(300)],))
    return inputs


def _word_inputs(rng: random.Random) -> list[tuple[Any, ...]]:
    # Non-ASCII letters are not a-z, so they separate words; the ones drawn lower-case the
    # same with lower() and casefold() and never to an ASCII letter (no "ß", "İ", Kelvin sign).
    fixed = [
        "abc123def", "snake_case_name", "__init__", "don't stop", "a\nb\tc  a", "123 456",
        "___", "!!!", "   ", "\n", "ABC abc AbC", "x1y2z3 X", "e-mail e.mail email",
        "It's it's ITS", "a", "Z", "café naïve Café", "ÀBc Ölà", "niño año", "αβγ abc",
        "tab\tseparated\tTAB", "CamelCaseWord", "end.", "(paren) [square] {curly}",
        "one,two;three:four/five\\six", "hello" * 3, "word " * 40,
    ]  # fmt: skip
    inputs: list[tuple[Any, ...]] = [(text,) for text in fixed]
    words = ["cat", "Dog", "the", "THE", "emu", "a", "Ox", "bee"]
    separators = [" ", "  ", "\n", "\t", "_", "1", "42", "-", ",", "'", ".", "é", "ñ", "ü", "Ж"]
    for _ in range(16):
        parts = [rng.choice(words) for _ in range(rng.randint(0, 8))]
        text = ""
        for part in parts:
            text += part + rng.choice(separators)
        inputs.append((text if rng.random() < 0.7 else text.rstrip(),))
    return inputs


def _interval_inputs(rng: random.Random) -> list[tuple[Any, ...]]:
    fixed: list[list[tuple[int, int]]] = [
        [(1, 1)], [(1, 2)], [(3, 4), (1, 2)], [(1, 2), (3, 4)], [(4, 5), (1, 4)],
        [(1, 10), (2, 3), (4, 5)], [(2, 3), (1, 10)], [(1, 3), (1, 3)], [(0, 0), (0, 0)],
        [(-5, -1), (-1, 2)], [(-10, -5), (-3, -1)], [(1, 5), (2, 3), (4, 8)],
        [(1, 2), (2, 3), (3, 4)], [(3, 4), (2, 3), (1, 2)], [(5, 6), (1, 2), (3, 4)],
        [(1, 5), (1, 2)], [(1, 2), (1, 5)], [(5, 5), (1, 10)], [(0, 1), (2, 2), (2, 3)],
        [(-(10**12), 10**12), (0, 1)], [(6, 8), (1, 9), (2, 4), (4, 7)],
    ]  # fmt: skip
    inputs: list[tuple[Any, ...]] = [(intervals,) for intervals in fixed]
    for _ in range(20):
        drawn = []
        for _ in range(rng.randint(0, 9)):
            start = rng.randint(-20, 20)
            drawn.append((start, start + rng.randint(0, 6)))
        inputs.append((drawn,))
    long = []
    for _ in range(200):
        start = rng.randint(-1000, 1000)
        long.append((start, start + rng.randint(0, 8)))
    inputs.append((long,))
    return inputs


_NUMERALS = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


def _roman(number: int) -> str:
    out = []
    for value, symbols in _NUMERALS:
        count, number = divmod(number, value)
        out.append(symbols * count)
    return "".join(out)


def _roman_inputs(rng: random.Random) -> list[tuple[Any, ...]]:
    # Every symbol and every subtractive pair on its own, each pair inside longer numerals,
    # the extremes, and a spread of 1..3999.
    fixed = [1, 5, 10, 50, 100, 500, 1000, 4, 9, 40, 90, 400, 900, 2, 3, 8, 14, 19, 44, 49, 99]
    fixed += [444, 494, 949, 999, 1444, 1949, 2999, 3000, 3888, 3999]
    numbers = fixed + sorted(rng.sample(range(1, 4000), 22))
    return [(_roman(number),) for number in numbers]


_WRITTEN_TASKS: tuple[ShapeTask, ...] = (
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
            # "returns them as tuples" fixes the intervals' type, not the container's.
            Case(([(1, 3), (2, 6), (8, 10)],), [(1, 6), (8, 10)], loose_outer=True),
            Case(([(5, 7), (1, 2)],), [(1, 2), (5, 7)], loose_outer=True),
            Case(([(1, 4), (4, 5)],), [(1, 5)], loose_outer=True),
            Case(([],), [], loose_outer=True),
            Case(([(1, 10), (2, 3)],), [(1, 10)], loose_outer=True),
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

_EDGE_INPUTS: dict[str, Inputs] = {
    "shape-01": _palindrome_inputs,
    "shape-02": _run_length_inputs,
    "shape-03": _second_largest_inputs,
    "shape-04": _word_inputs,
    "shape-05": _interval_inputs,
    "shape-06": _roman_inputs,
}
SHAPE_TASKS: tuple[ShapeTask, ...] = tuple(
    _augmented(task, _EDGE_INPUTS[task.id]) for task in _WRITTEN_TASKS
)
