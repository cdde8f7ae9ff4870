"""Harness 2, SHAPE: write a Python function; hidden unit tests run against it in a sandbox.

Score = pass@1, as HumanEval counts it: 1 when the reply's function passes every hidden test,
else 0. The share of tests passed is a diagnostic kept beside the score
(``{"tests_passed": 3, "tests": 5}``), never the score: a function that computes nothing
(a constant, a printout) can match a trivial test but not all of them. The code is the first
block of the reply that defines the asked function (``shape_extract``); it runs only in the
sandbox (``mapelite.sandbox``), while the tests run in this process against plain values that
come back from it (``shape_tests``), never in the candidate's process.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict

from mapelite.harnesses.base import Assessment, Harness, Item
from mapelite.harnesses.shape_extract import extract_code
from mapelite.harnesses.shape_items import SHAPE_TASKS, ShapeTask
from mapelite.harnesses.shape_tests import SandboxReport, Tests, run_tests
from mapelite.sandbox.runner import Limits

__all__ = ["HARNESS", "ITEMS", "ShapeScorer", "extract_code", "score_answer", "unit_test_scorer"]
SCORER_VERSION = "3"
"""3: the hidden tests include edge cases (EvalPlus-style: empty and single inputs, duplicates,
negatives, bounds, large magnitudes, digits, newlines and non-ASCII letters in text) with
expected values from each task's reference, and merge_intervals' intervals must be tuples; a
reply right on the hand-written cases but wrong on an edge its prompt names scored 1 under 2 and
scores 0 now, so scores of 2 and 3 do not compare. Items, ids and prompts are unchanged.
2: pass@1 (version 1 scored the fraction of tests passed)."""
BANK_VERSION = "2"
_REMEMBERED = 32


def run_answer(
    answer: str,
    entry_point: str,
    tests: Tests,
    *,
    prelude: str = "",
    limits: Limits | None = None,
) -> tuple[str | None, SandboxReport | None]:
    """The reply's code and how it fared on ``tests`` (None, None: the reply has no such code).

    ``prelude`` runs before the candidate's code in the sandbox: a HumanEval prompt (its
    imports and the stub the reply redefines) goes there.
    """
    code = extract_code(answer, entry_point)
    if code is None:
        return None, None
    program = f"{prelude.rstrip()}\n\n{code}" if prelude else code
    return code, run_tests(program, entry_point, tests, limits=limits)


def pass_at_1(report: SandboxReport | None) -> float:
    """1.0 only when every test passed."""
    return 1.0 if report is not None and report.total > 0 and report.passed == report.total else 0.0


def score_answer(
    answer: str,
    entry_point: str,
    tests: Tests,
    *,
    prelude: str = "",
    limits: Limits | None = None,
) -> float:
    """pass@1 of the reply's code on ``tests``; 0.0 when the reply has no such code."""
    return pass_at_1(run_answer(answer, entry_point, tests, prelude=prelude, limits=limits)[1])


class ShapeScorer:
    """The scorer of one SHAPE item: pass@1 as ``score(answer)``, and ``assess(answer)`` with
    the code read and the tests passed. The last few answers are remembered, so a runner that
    asks for both runs the sandbox once."""

    def __init__(self, entry_point: str, tests: Tests, *, prelude: str = "") -> None:
        self.entry_point = entry_point
        self.tests = tests
        self.prelude = prelude
        self._seen: OrderedDict[str, Assessment] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, answer: str) -> float:
        return self.assess(answer).score

    def assess(self, answer: str) -> Assessment:
        answer = answer if isinstance(answer, str) else str(answer)
        with self._lock:
            if answer in self._seen:
                self._seen.move_to_end(answer)
                return self._seen[answer]
        try:
            code, report = run_answer(answer, self.entry_point, self.tests, prelude=self.prelude)
        except Exception:  # a scorer never raises: an unscorable reply scores 0
            code, report = None, None
        assessment = Assessment(pass_at_1(report), extracted=code, diagnostics=_details(report))
        if report is not None and report.timed_out:
            return assessment  # a wall-clock budget met on a busy machine: ask again, run again
        with self._lock:
            self._seen[answer] = assessment
            while len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)
        return assessment


def _details(report: SandboxReport | None) -> dict[str, object]:
    if report is None:
        return {"tests_passed": 0, "tests": 0, "code_found": False}
    details: dict[str, object] = {"tests_passed": report.passed, "tests": report.total}
    if report.timed_out:
        details["timed_out"] = True
    if report.load_error:
        details["load_error"] = report.load_error
    return details


def unit_test_scorer(entry_point: str, tests: Tests, *, prelude: str = "") -> ShapeScorer:
    """Scorer of one SHAPE item (pass@1), with its tests bound."""
    return ShapeScorer(entry_point, tests, prelude=prelude)


def shape_item(item: Item) -> Item:
    """``item`` with its SHAPE scorer's ``assess`` attached (score and diagnostics in one run)."""
    scorer = item.score
    if isinstance(scorer, ShapeScorer):
        return dataclasses.replace(item, assess=scorer.assess)
    return item


def _prompt(task: ShapeTask) -> str:
    return (
        f"Write a Python function `{task.signature}` that {task.specification}\n\n"
        "Use only the Python standard library. Reply with the complete function in a single "
        "```python code block."
    )


def _item(task: ShapeTask) -> Item:
    scorer = unit_test_scorer(task.function_name, task.tests)
    return Item(
        id=task.id,
        prompt=_prompt(task),
        reference=task.reference,
        near_miss=task.near_miss,
        score=scorer,
        bank_version=BANK_VERSION,
        assess=scorer.assess,
    )


ITEMS: tuple[Item, ...] = tuple(_item(task) for task in SHAPE_TASKS)

HARNESS = Harness(
    id=2,
    name="SHAPE",
    description="code generation (a Python function), pass@1",
    items=ITEMS,
    max_tokens=1024,
    expected_completion_tokens=300,
    system="You are a careful Python programmer. Write correct, simple code.",
    scorer_version=SCORER_VERSION,
)
