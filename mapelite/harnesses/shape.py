"""Harness 2, SHAPE: write a Python function; hidden unit tests run in a sandbox subprocess.

Score = fraction of hidden tests passed (partial credit). The code is taken from the reply's
fenced block that defines the function (or from bare code when there is no fence) and runs
only in `sandbox.run_tests`, never in this process.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from mapelite.harnesses.base import Harness, Item, Scorer
from mapelite.harnesses.sandbox import run_tests
from mapelite.harnesses.scoring import fenced_blocks, safe_scorer
from mapelite.harnesses.shape_items import SHAPE_TASKS, ShapeTask

_MAX_ANSWER_CHARS = 40_000
_MAX_TRIM_STEPS = 60
_CODE_START = re.compile(r"^(?:def |async def |import |from |class |@)")
_PYTHON_LANGS = {"", "python", "py", "python3"}
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def extract_code(answer: str, function_name: str) -> str | None:
    """The code in a reply that defines ``function_name``, or None when there is none."""
    answer = answer[:_MAX_ANSWER_CHARS]
    definition = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(function_name)}\s*\(", re.M)
    blocks = [body for lang, body in fenced_blocks(answer) if lang in _PYTHON_LANGS]
    defining = [body for body in blocks if definition.search(body)]
    if defining:
        # Imports or helpers in other blocks may be needed; usage examples must not run first.
        helpers = [body for body in blocks if body is not defining[-1] and _only_definitions(body)]
        return "\n\n".join([*helpers, defining[-1]])
    if blocks:
        return None
    return _bare_code(answer) if definition.search(answer) else None


def _bare_code(answer: str) -> str | None:
    lines = answer.splitlines()
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return None
    code_lines = lines[start:]
    for _ in range(_MAX_TRIM_STEPS):
        code = "\n".join(code_lines)
        if _parses(code):
            return code
        if len(code_lines) <= 1:
            return None
        code_lines = code_lines[:-1]
    return None


def _only_definitions(code: str) -> bool:
    """True for a block of imports, functions and classes only (safe to run before others)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return all(isinstance(node, _DEFINITIONS) for node in tree.body)


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def unit_test_scorer(function_name: str, tests: Sequence[str]) -> Scorer:
    """Scorer: fraction of ``tests`` (expressions that must be True) the reply's code passes."""
    test_list = list(tests)

    def score(answer: str) -> float:
        code = extract_code(answer, function_name)
        if code is None:
            return 0.0
        return run_tests(code, test_list).fraction

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
