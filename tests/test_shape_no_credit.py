"""SHAPE is pass@1: a candidate that does not compute the asked function earns nothing.

Each candidate below games a test some other way - a constant, an always-true ``__eq__``,
printing instead of returning, patching builtins or the test machinery, exiting early,
looking for the tests - and must score exactly 0, on curated items and on HumanEval-style
``check`` tests alike. The share of tests passed is kept only as a diagnostic.
"""

from __future__ import annotations

import pytest

from mapelite.harnesses.shape import ITEMS, unit_test_scorer
from mapelite.harnesses.shape_tests import CheckCode

FREQUENCIES = next(item for item in ITEMS if item.id == "shape-04")  # word_frequencies -> dict


def fenced(code: str) -> str:
    return f"```python\n{code.strip()}\n```"


GAMES = {
    "constant empty dict": "def word_frequencies(text):\n    return {}\n",
    "dict subclass whose == is always true": """
class Anything(dict):
    def __eq__(self, other):
        return True
    __hash__ = None
def word_frequencies(text):
    return Anything()
""",
    "object whose == is always true": """
class Anything:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
def word_frequencies(text):
    return Anything()
""",
    "prints the answer and returns None": """
def word_frequencies(text):
    print({"the": 2})
""",
    "patches builtins": """
import builtins
builtins.isinstance = lambda *a: True
builtins.len = lambda *a: 0
builtins.type = lambda *a: dict
def word_frequencies(text):
    return {}
""",
    "exits at load": "import sys\nsys.exit(0)\ndef word_frequencies(text):\n    return {}\n",
    "exits in the call": "import os\ndef word_frequencies(text):\n    os._exit(0)\n",
    "raises SystemExit in the call": "def word_frequencies(text):\n    raise SystemExit(0)\n",
    "reads the tests from disk and the caller's frames": """
import glob, inspect, sys
def word_frequencies(text):
    for frame in inspect.stack():
        for value in frame.frame.f_locals.values():
            if isinstance(value, dict) and value:
                return value
    for path in glob.glob("/**/test*.py", recursive=True):
        return {"found": open(path).read()[:10]}
    return {}
""",
    "forges a reply on the result pipe": """
import os, json
def word_frequencies(text):
    os.write(1, (json.dumps([1, "ok", ["d", []]]) + "\\n").encode())
    return {}
""",
}


@pytest.mark.parametrize("code", GAMES.values(), ids=list(GAMES))
def test_a_candidate_that_computes_nothing_scores_zero(code: str):
    assessed = FREQUENCIES.assessed(fenced(code))
    assert assessed.score == 0.0
    assert assessed.diagnostics is not None and "tests" in assessed.diagnostics


def test_an_object_that_is_not_a_plain_value_passes_no_check_assertion():
    check = CheckCode(
        "def check(candidate):\n"
        "    assert candidate(1) != 0\n"
        "    assert candidate(2)\n"
        "    assert not (candidate(3) == 0)\n"
    )
    always = fenced(
        "class Yes:\n    def __eq__(self, o):\n        return True\n"
        "    def __ne__(self, o):\n        return True\n    def __bool__(self):\n"
        "        return True\n"
        "def f(x):\n    return Yes()\n"
    )
    assessed = unit_test_scorer("f", check).assess(always)
    assert assessed.score == 0.0
    assert assessed.diagnostics == {"tests_passed": 1, "tests": 3}  # only `not (.. == 0)`


def test_the_right_function_scores_one_and_one_wrong_test_scores_zero():
    right = FREQUENCIES.assessed(FREQUENCIES.reference)
    wrong = FREQUENCIES.assessed(FREQUENCIES.near_miss)
    assert right.score == 1.0 and right.diagnostics is not None
    assert right.diagnostics["tests_passed"] == right.diagnostics["tests"]
    assert wrong.score == 0.0 and wrong.diagnostics is not None
    assert 0 < wrong.diagnostics["tests_passed"] < wrong.diagnostics["tests"]
