"""SHAPE: the solution is found in the reply, run only in the sandbox, and judged here."""

from __future__ import annotations

import os
import time

import pytest

from mapelite.harnesses.shape import ITEMS, extract_code, score_answer, unit_test_scorer
from mapelite.harnesses.shape_tests import Case, CheckCode, run_tests, same_value
from mapelite.sandbox.runner import Limits

DOUBLE_TESTS = [Case((1,), 2), Case((2,), 4), Case((-3,), -6), Case((0,), 0)]
DOUBLE = "def double(x):\n    return 2 * x\n"
FAST = Limits(test_time_s=1.0)


def test_correct_fenced_function_passes_every_test():
    scorer = unit_test_scorer("double", DOUBLE_TESTS)
    answer = f"Here you go:\n\n```python\n{DOUBLE}```\n\nIt multiplies by two."
    assert scorer(answer) == 1.0


def test_a_buggy_function_scores_zero_with_its_tests_passed_as_a_diagnostic():
    scorer = unit_test_scorer("double", DOUBLE_TESTS)
    buggy = "```python\ndef double(x):\n    return x + 2 if x > 0 else 2 * x\n```"
    assessed = scorer.assess(buggy)  # wrong only for double(1)
    assert (assessed.score, scorer(buggy)) == (0.0, 0.0)
    assert assessed.diagnostics == {"tests_passed": 3, "tests": 4}
    assert assessed.extracted is not None and "def double" in assessed.extracted


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.id)
def test_every_reference_scores_one_and_every_near_miss_less(item):
    assert item.score(item.reference) == 1.0
    assert item.score(item.near_miss) < 1.0


def test_infinite_loop_is_cut_at_each_tests_budget_and_scores_zero():
    started = time.monotonic()
    code = "def double(x):\n    while True:\n        pass\n"
    report = run_tests(code, "double", DOUBLE_TESTS[:2], limits=FAST)
    assert report.timed_out
    assert report.fraction == 0.0
    assert time.monotonic() - started < 2 * FAST.test_time_s + 3.0


def test_one_hanging_input_does_not_forfeit_the_tests_after_it():
    code = "def double(x):\n    while x < 0:\n        pass\n    return 2 * x\n"
    report = run_tests(code, "double", DOUBLE_TESTS, limits=FAST)  # hangs on the third of four
    assert report.timed_out
    assert report.passed == 3
    assert report.restarts == 1


def test_memory_bomb_fails_fast_without_harming_the_caller():
    started = time.monotonic()
    report = run_tests("blob = bytearray(8 * 1024 ** 3)\n" + DOUBLE, "double", DOUBLE_TESTS)
    assert report.fraction == 0.0
    assert report.load_error == "MemoryError"
    assert time.monotonic() - started < 5.0


def test_code_runs_in_a_fresh_directory_not_the_callers():
    here = os.getcwd()
    code = f"import os\ndef double(x):\n    return 2 * x if os.getcwd() != {here!r} else 0\n"
    assert run_tests(code, "double", DOUBLE_TESTS).fraction == 1.0


def test_results_are_compared_by_type_as_well_as_value():
    assert not same_value(True, 1)
    assert not same_value(1, True)
    assert not same_value(1.0, 1)
    assert not same_value([1, 2], (1, 2))
    assert same_value([1, 2], (1, 2), loose_sequences=True)
    assert not same_value({1: "a"}, {True: "a"})
    assert not same_value({True}, {1})
    assert same_value(0.1 + 0.2, 0.3)
    assert same_value(float("nan"), float("nan"))
    assert same_value({"a": [1, (2, 3)]}, {"a": [1, (2, 3)]})


def test_a_float_where_an_int_is_asked_fails():
    code = "def double(x):\n    return 2.0 * x\n"
    assert run_tests(code, "double", DOUBLE_TESTS).passed == 0


def test_expression_tests_run_here_against_the_returned_value():
    tests = ["double(2) == 4", "double(3) == 7", "isinstance(double(1), int)"]
    assert run_tests(DOUBLE, "double", tests).passed == 2


def test_humaneval_style_check_is_split_into_one_test_per_assert():
    check = CheckCode(
        "METADATA = {}\n\n"
        "def check(f):\n"
        "    assert f(1) == 2\n"
        "    pairs = [(2, 4), (5, 10)]\n"
        "    for x, y in pairs:\n"
        "        assert f(x) == y\n"
        "    assert f(-3) == -6\n"
        "    assert True\n"
    )
    assert run_tests(DOUBLE, "double", check).fraction == 1.0
    wrong_on_negatives = "def double(x):\n    return abs(2 * x)\n"
    report = run_tests(wrong_on_negatives, "double", check)
    assert (report.passed, report.total) == (2, 3)


def test_a_builtin_exception_raised_by_the_candidate_keeps_its_type_for_the_check():
    check = CheckCode(
        "def check(candidate):\n"
        "    try:\n"
        "        candidate(-1)\n"
        "        assert False\n"
        "    except ValueError:\n"
        "        pass\n"
    )
    raises = "def double(x):\n    if x < 0:\n        raise ValueError(x)\n    return 2 * x\n"
    assert run_tests(raises, "double", check).fraction == 1.0
    assert run_tests(DOUBLE, "double", check).fraction == 0.0


def test_a_prelude_supplies_what_the_prompt_imported():
    prompt = 'from typing import List\n\ndef total(xs: List[int]) -> int:\n    """Sum."""\n'
    answer = "```python\ndef total(xs: List[int]) -> int:\n    return sum(xs)\n```"
    tests = [Case(([1, 2],), 3)]
    assert score_answer(answer, "total", tests, prelude=prompt) == 1.0
    assert score_answer(answer, "total", tests) == 0.0  # List is undefined without the prompt


def test_usage_example_blocks_do_not_break_the_solution():
    scorer = unit_test_scorer("double", DOUBLE_TESTS)
    answer = f"```python\n{DOUBLE}```\n\nExample:\n```python\nprint(double(4))  # 8\n```"
    assert scorer(answer) == 1.0


def test_extract_code_keeps_helper_imports_before_the_solution_and_drops_examples():
    answer = (
        "```python\nimport math\n```\n\n```python\ndef double(x):\n    return 2 * x\n```\n\n"
        "Usage:\n```python\nprint(double(4))\n```"
    )
    code = extract_code(answer, "double")
    assert code is not None
    assert code.index("import math") < code.index("def double")
    assert "print(double(4))" not in code


def test_the_first_defining_block_is_the_solution_not_a_later_common_mistake():
    answer = (
        f"```python\n{DOUBLE}```\n\nA common mistake is to add instead:\n\n"
        "```python\ndef double(x):\n    return x + 2\n```"
    )
    assert extract_code(answer, "double") == DOUBLE.strip()
    assert unit_test_scorer("double", DOUBLE_TESTS)(answer) == 1.0


def test_a_helper_defined_after_the_solution_is_kept_when_the_solution_needs_it():
    answer = (
        "```python\ndef double(x):\n    return twice(x)\n```\n\nwith the helper\n\n"
        "```python\ndef twice(x):\n    return x * 2\n```"
    )
    assert unit_test_scorer("double", DOUBLE_TESTS)(answer) == 1.0


def test_an_indented_block_inside_a_numbered_list_is_found():
    answer = (
        "1. First, the function:\n\n"
        "   ```python\n"
        "   def double(x):\n"
        "       return 2 * x\n"
        "   ```\n"
        "2. Then call it.\n"
    )
    assert extract_code(answer, "double") == "def double(x):\n    return 2 * x"


def test_a_markdown_indented_code_block_without_fences_is_found():
    answer = "Here it is:\n\n    import math\n    def double(x):\n        return 2 * x\n\nDone."
    assert extract_code(answer, "double") == "import math\ndef double(x):\n    return 2 * x"


def test_extract_code_reads_bare_code_and_drops_trailing_prose():
    answer = "Sure.\ndef double(x):\n    return 2 * x\nThis doubles the input, as asked."
    assert extract_code(answer, "double") == "def double(x):\n    return 2 * x"


def test_answer_without_the_requested_function_scores_zero_without_running_anything():
    scorer = unit_test_scorer("double", DOUBLE_TESTS)
    assert scorer("```python\ndef triple(x):\n    return 3 * x\n```") == 0.0
    assert extract_code("I cannot write that.", "double") is None


def test_a_check_may_call_the_prompts_helpers_and_the_function_by_its_own_name():
    prompt = (
        "def encode(s: str) -> str:\n"
        "    return s[::-1]\n\n"
        "def decode(s: str) -> str:\n"
        '    """Undo encode."""\n'
    )
    check = CheckCode(
        "def check(candidate):\n"
        "    for word in ['abc', 'xy']:\n"
        "        assert candidate(encode(word)) == word\n"
        "    assert tuple(candidate('ba')) == tuple(decode('ba'))\n",
        context=prompt,
    )
    right = prompt + "    return s[::-1]\n"
    assert run_tests(right, "decode", check).fraction == 1.0
    assert run_tests(prompt + "    return s\n", "decode", check).passed == 1  # the self-check
