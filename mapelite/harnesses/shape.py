"""Harness 2, SHAPE: write a Python function; hidden unit tests run against it in a sandbox.

Score = fraction of hidden tests passed (partial credit). The code is the first block of the
reply that defines the asked function (``shape_extract``); it runs only in the sandbox
(``sandbox``, ``sandbox_bwrap``), while the tests run in this process against values that come
back from it (``shape_tests``), never in the candidate's process.
"""

from __future__ import annotations

from mapelite.harnesses.base import Harness, Item, Scorer
from mapelite.harnesses.scoring import safe_scorer
from mapelite.harnesses.shape_extract import extract_code
from mapelite.harnesses.shape_items import SHAPE_TASKS, ShapeTask
from mapelite.harnesses.shape_tests import Tests, run_tests
from mapelite.sandbox.runner import Limits

__all__ = ["HARNESS", "ITEMS", "extract_code", "score_answer", "unit_test_scorer"]


def score_answer(
    answer: str,
    entry_point: str,
    tests: Tests,
    *,
    prelude: str = "",
    limits: Limits | None = None,
) -> float:
    """Fraction of ``tests`` the reply's code passes; 0.0 when the reply has no such code.

    ``prelude`` runs before the candidate's code in the sandbox: a HumanEval prompt (its
    imports and the stub the reply redefines) goes there.
    """
    code = extract_code(answer, entry_point)
    if code is None:
        return 0.0
    if prelude:
        code = f"{prelude.rstrip()}\n\n{code}"
    return run_tests(code, entry_point, tests, limits=limits).fraction


def unit_test_scorer(entry_point: str, tests: Tests, *, prelude: str = "") -> Scorer:
    """Scorer of one SHAPE item: ``score_answer`` with its tests bound."""

    def score(answer: str) -> float:
        return score_answer(answer, entry_point, tests, prelude=prelude)

    return safe_scorer(score)


def _prompt(task: ShapeTask) -> str:
    return (
        f"Write a Python function `{task.signature}` that {task.specification}\n\n"
        "Use only the Python standard library. Reply with the complete function in a single "
        "```python code block."
    )


def _item(task: ShapeTask) -> Item:
    return Item(
        id=task.id,
        prompt=_prompt(task),
        reference=task.reference,
        near_miss=task.near_miss,
        score=unit_test_scorer(task.function_name, task.tests),
    )


ITEMS: tuple[Item, ...] = tuple(_item(task) for task in SHAPE_TASKS)

HARNESS = Harness(
    id=2,
    name="SHAPE",
    description="code generation (a Python function)",
    items=ITEMS,
    max_tokens=1024,
    expected_completion_tokens=300,
    system="You are a careful Python programmer. Write correct, simple code.",
)
