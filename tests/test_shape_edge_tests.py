"""SHAPE's hidden tests exercise the edges a prompt names, not only its examples.

Curated tasks keep their hand-written cases and add 30-60 generated edge cases whose expected
values come from the task's reference; generated items add edge tests per family from a random
stream of their own, so prompts and ids stay as they were. A candidate that is right on the
cases someone wrote by hand but wrong on an edge the specification names gets no credit.
The candidates below are written for these tests, one per edge.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mapelite.banks.common import seeded_rng
from mapelite.banks.gen_shape import _FAMILIES, GENERATOR, VERSION, _edge_tests, _Task, _tests
from mapelite.harnesses.base import Item
from mapelite.harnesses.shape import HARNESS, ITEMS, unit_test_scorer
from mapelite.harnesses.shape_items import _EDGE_INPUTS, _WRITTEN_TASKS, SHAPE_TASKS, _augmented
from mapelite.harnesses.shape_tests import Case, run_tests, same_value

TASKS = {task.id: task for task in SHAPE_TASKS}
PER_FAMILY = 200
SANDBOXED_PER_FAMILY = 20
PROMPTS_DIGEST = "621509f84d50b86a88c7eddf1fe92798fa5e3c9f35bb85f445d98f8ff75c1b80"
"""sha256 over id and prompt of the first 200 items of each family, taken before edge tests
were added: the edge stream must not move the stream that draws prompts."""


def fenced(code: str) -> str:
    return f"```python\n{code.strip()}\n```"


# -- curated tasks -------------------------------------------------------------------------


def test_shape_scorer_version_is_bumped_for_the_edge_tests():
    assert HARNESS.scorer_version == "3"
    assert GENERATOR.version == "2"  # the gen bank's items (ids, prompts) did not change


@pytest.mark.parametrize("task", SHAPE_TASKS, ids=lambda t: t.id)
def test_curated_tasks_keep_their_written_cases_and_add_30_to_60_edge_cases(task):
    assert task.tests[: len(task.written_tests)] == task.written_tests
    added = len(task.tests) - len(task.written_tests)
    assert 30 <= added <= 60
    assert len({repr(case.args) for case in task.tests}) == len(task.tests)


def test_curated_edge_cases_are_deterministic():
    for written in _WRITTEN_TASKS:
        assert _augmented(written, _EDGE_INPUTS[written.id]) == TASKS[written.id]


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.id)
def test_every_curated_reference_scores_one_and_its_near_miss_zero(item):
    right = item.assessed(item.reference)
    assert right.score == 1.0, right.diagnostics
    assert item.assessed(item.near_miss).score == 0.0


def test_roman_edges_cover_every_subtractive_pair_and_the_extremes():
    numerals = [case.args[0] for case in TASKS["shape-06"].tests]
    for pair in ("IV", "IX", "XL", "XC", "CD", "CM"):
        assert pair in numerals  # alone
        assert sum(pair in numeral for numeral in numerals) >= 3  # and inside longer ones
    values = [case.expected for case in TASKS["shape-06"].tests]
    assert {1, 3999} <= set(values)
    assert len(values) >= 50


def test_merge_intervals_wants_tuples_inside_whatever_container_holds_them():
    assert all(case.loose_outer and not case.loose_sequences for case in TASKS["shape-05"].tests)
    assert same_value(((1, 5), (7, 8)), [(1, 5), (7, 8)], loose_outer=True)
    assert same_value([(1, 5)], [(1, 5)], loose_outer=True)
    assert not same_value([[1, 5]], [(1, 5)], loose_outer=True)
    assert not same_value([(1, 5)], ((1, 5),))  # without the option the container counts


def test_merge_intervals_answered_with_lists_inside_gets_no_credit_a_tuple_outside_does():
    item = next(item for item in ITEMS if item.id == "shape-05")
    sweep = """
def merge_intervals(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return {container}
"""
    assert item.score(fenced(sweep.format(container="merged"))) == 0.0
    assert item.score(fenced(sweep.format(container="[tuple(m) for m in merged]"))) == 1.0
    assert item.score(fenced(sweep.format(container="tuple(map(tuple, merged))"))) == 1.0


def test_text_edges_hold_digits_underscores_newlines_and_non_ascii_letters():
    texts = "".join(case.args[0] for case in TASKS["shape-04"].tests)
    for needed in ("1", "_", "\n", "\t", "'", "é"):
        assert needed in texts
    assert "\n" in "".join(case.args[0] for case in TASKS["shape-02"].tests)


# Each candidate is right on the hand-written cases and wrong on an edge the prompt names.
RIGHT_ON_EXAMPLES_WRONG_ON_AN_EDGE = {
    "shape-01 keeps underscores (\\W leaves them)": (
        "shape-01",
        """
import re
def is_palindrome(text: str) -> bool:
    kept = re.sub(r"\\W", "", text).lower()
    return kept == kept[::-1]
""",
    ),
    "shape-02 strips surrounding whitespace first": (
        "shape-02",
        """
from itertools import groupby
def run_length_encode(text: str) -> str:
    return "".join(f"{ch}{len(list(run))}" for ch, run in groupby(text.strip()))
""",
    ),
    "shape-03 a sentinel that real values can go below": (
        "shape-03",
        """
def second_largest(numbers: list[int]) -> int | None:
    first = second = -10**9
    for n in numbers:
        if n > first:
            first, second = n, first
        elif first > n > second:
            second = n
    return None if second == -10**9 else second
""",
    ),
    "shape-04 counts non-ASCII letters as letters": (
        "shape-04",
        """
import re
from collections import Counter
def word_frequencies(text: str) -> dict[str, int]:
    return dict(Counter(re.findall(r"[^\\W\\d_]+", text.lower())))
""",
    ),
    "shape-05 compares with the previous input interval, not the merged one": (
        "shape-05",
        """
def merge_intervals(intervals):
    ordered = sorted(intervals)
    if not ordered:
        return []
    merged = [ordered[0]]
    for previous, (start, end) in zip(ordered, ordered[1:]):
        if start <= previous[1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
""",
    ),
    "shape-06 rewrites only the subtractive forms the examples show": (
        "shape-06",
        """
def roman_to_int(numeral: str) -> int:
    for short, long in (("CM", "DCCCC"), ("XC", "LXXXX"), ("IX", "VIIII"), ("IV", "IIII")):
        numeral = numeral.replace(short, long)
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    return sum(values[ch] for ch in numeral)
""",
    ),
}


@pytest.mark.parametrize(
    ("task_id", "code"),
    RIGHT_ON_EXAMPLES_WRONG_ON_AN_EDGE.values(),
    ids=list(RIGHT_ON_EXAMPLES_WRONG_ON_AN_EDGE),
)
def test_a_curated_candidate_right_on_the_examples_but_wrong_on_an_edge_gets_no_credit(
    task_id, code
):
    task = TASKS[task_id]
    on_examples = run_tests(code, task.function_name, task.written_tests)
    assert on_examples.passed == on_examples.total  # the hand-written cases alone let it pass
    item = next(item for item in ITEMS if item.id == task_id)
    assessed = item.assessed(fenced(code))
    assert assessed.score == 0.0
    assert assessed.diagnostics is not None
    assert assessed.diagnostics["tests_passed"] > len(task.written_tests)  # mostly right


# -- generated items -----------------------------------------------------------------------


def _drawn(index: int) -> tuple[_Task, list[str], list[str]]:
    """Item ``index``'s task, its drawn tests and all its tests (drawn, then edge tests)."""
    rng = seeded_rng(GENERATOR.prefix, GENERATOR.version, index)
    task = rng.choice(_FAMILIES)(rng)
    drawn = _tests(task, rng)
    edge = _edge_tests(task, seeded_rng("shape", VERSION, "edges", index), drawn)
    return task, drawn, edge


def _first_per_family(count: int) -> Iterator[tuple[int, Item]]:
    seen: Counter[str] = Counter()
    index = 0
    while len(seen) < len(_FAMILIES) or min(seen.values()) < count:
        item = GENERATOR.item(index)
        assert item.family is not None
        if seen[item.family] < count:
            yield index, item
        seen[item.family] += 1
        index += 1


@pytest.fixture(scope="module")
def first_items() -> list[tuple[int, Item]]:
    return list(_first_per_family(PER_FAMILY))


def test_prompts_and_ids_of_the_first_200_items_per_family_are_unchanged(first_items):
    digest = hashlib.sha256()
    for _, item in first_items:
        digest.update(f"{item.id}\x1f{item.prompt}\x1e".encode())
    assert len(first_items) == PER_FAMILY * len(_FAMILIES)
    assert digest.hexdigest() == PROMPTS_DIGEST


def _function(source: str, name: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{name}>", "exec"), namespace)  # our own reference code only
    return namespace[name]


def _passes(function: Callable[..., Any], name: str, test: str) -> bool:
    try:
        return eval(test, {name: function}) is True
    except Exception:
        return False


def test_every_generated_item_adds_edge_tests_after_its_drawn_ones(first_items):
    for index, _ in first_items[:: len(_FAMILIES) * 5]:
        _, drawn, everything = _drawn(index)
        assert everything[: len(drawn)] == drawn
        assert len(everything) > len(drawn)


def test_200_references_per_family_pass_every_edge_test_and_their_near_misses_fail_one(
    first_items,
):
    # In-process (our own reference and near-miss code, trusted): every test, every item.
    for index, _ in first_items:
        task, _, tests = _drawn(index)
        reference = _function(task.reference, task.name)
        buggy = _function(task.buggy, task.name)
        assert all(_passes(reference, task.name, test) for test in tests), index
        assert not all(_passes(buggy, task.name, test) for test in tests), index


def test_sandboxed_generated_references_score_one_and_near_misses_zero(first_items):
    by_family: dict[str, list[Item]] = {}
    for _, item in first_items:
        assert item.family is not None
        by_family.setdefault(item.family, []).append(item)
    chosen = [item for items in by_family.values() for item in items[:SANDBOXED_PER_FAMILY]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        scores = list(pool.map(lambda i: (i.score(i.reference), i.score(i.near_miss)), chosen))
    assert [i.id for i, (right, _) in zip(chosen, scores, strict=True) if right != 1.0] == []
    assert [i.id for i, (_, wrong) in zip(chosen, scores, strict=True) if wrong != 0.0] == []


def _params(pattern: str, reference: str) -> list[int]:
    match = re.search(pattern, reference)
    assert match, reference
    return [int(group) for group in match.groups()]


def _float_poly(reference: str) -> str:
    a, b, c = _params(r"return (-?\d+) \* x \* x \+ (-?\d+) \* x \+ (-?\d+)", reference)
    return f"def poly_value(x: int) -> int:\n    return int({a} * x ** 2.0 + {b} * x + {c})\n"


def _bounded_negatives(reference: str) -> str:
    k, cap = _params(r"v % (\d+) == 0 and v <= (\d+)", reference)
    return (
        "def sum_multiples(values: list[int]) -> int:\n"
        f"    return sum(v for v in values if v % {k} == 0 and v in range(-10**4, {cap} + 1))\n"
    )


def _deduplicated(reference: str) -> str:
    k, cap = _params(r"v % (\d+) == 0 and v <= (\d+)", reference)
    return (
        "def sum_multiples(values: list[int]) -> int:\n"
        f"    return sum(v for v in dict.fromkeys(values) if v % {k} == 0 and v <= {cap})\n"
    )


def _assumes_a_long_list(reference: str) -> str:
    start, step = _params(r"values\[(\d+)::(\d+)\]", reference)
    return (
        "def every_kth(values: list[int]) -> list[int]:\n"
        f"    return [values[{start}]] + values[{start} + {step}::{step}]\n"
    )


def _term_one_for_zero(reference: str) -> str:
    return reference.replace("    if n == 0:\n        return prev\n", "")


def _word_by_word(reference: str) -> str:
    return reference.replace("def shift_letters(", "def _shift_word(") + (
        "\n\ndef shift_letters(text: str) -> str:\n"
        "    return ' '.join(_shift_word(word) for word in text.split())\n"
    )


GENERATED_CANDIDATES: dict[str, tuple[str, Callable[[str], str]]] = {
    "poly in floats loses large x": ("poly", _float_poly),
    "sum-multiples drops negatives past a guessed floor": ("sum-multiples", _bounded_negatives),
    "sum-multiples counts a repeated value once": ("sum-multiples", _deduplicated),
    "every-kth assumes the list reaches the start position": ("every-kth", _assumes_a_long_list),
    "recurrence forgets n = 0": ("recurrence", _term_one_for_zero),
    "caesar shifts word by word, losing newlines and runs of spaces": ("caesar", _word_by_word),
}


@pytest.mark.parametrize(
    ("family", "candidate"), GENERATED_CANDIDATES.values(), ids=list(GENERATED_CANDIDATES)
)
def test_a_generated_candidate_right_on_the_drawn_tests_but_wrong_on_an_edge_gets_no_credit(
    first_items, family, candidate
):
    # The first item of the family whose drawn tests this candidate passes while it is wrong
    # on an edge (both found here: the candidate is this file's own code), then scored for
    # real, in the sandbox: with the drawn tests alone, and with every test.
    for index, item in first_items:
        if item.family != f"shape-g{VERSION}:{family}":
            continue
        task, drawn, tests = _drawn(index)
        code = candidate(task.reference)
        assert code != task.reference
        function = _function(code, task.name)
        passed = [_passes(function, task.name, test) for test in tests]
        if all(passed[: len(drawn)]) and not all(passed):
            break
    else:
        pytest.fail(f"no {family} item whose drawn tests miss this candidate's bug")
    assert unit_test_scorer(task.name, drawn)(fenced(code)) == 1.0  # the old tests let it pass
    assert item.score(fenced(code)) == 0.0


def test_edge_tests_come_from_their_own_stream():
    # The same index always gets the same edge tests; the main stream is not drawn from.
    first = _drawn(7)[2]
    assert _drawn(7)[2] == first
    rng = seeded_rng(GENERATOR.prefix, GENERATOR.version, 7)
    state = rng.getstate()
    task = rng.choice(_FAMILIES)(rng)
    _tests(task, rng)
    after_tests = rng.getstate()
    _edge_tests(task, random.Random(0), [])
    assert rng.getstate() == after_tests != state


def test_a_case_with_loose_outer_still_types_its_elements():
    report = run_tests(
        "def f():\n    return ((1, 2), [3, 4])\n",
        "f",
        [
            Case((), [(1, 2), [3, 4]], loose_outer=True),
            Case((), [(1, 2), (3, 4)], loose_outer=True),
        ],
    )
    assert report.passed == 1
