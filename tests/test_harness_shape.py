"""SHAPE: code is extracted from the reply and run only in a limited subprocess."""

from __future__ import annotations

import os
import time

from mapelite.harnesses.sandbox import run_tests
from mapelite.harnesses.shape import extract_code, unit_test_scorer

DOUBLE_TESTS = ["double(1) == 2", "double(2) == 4", "double(-3) == -6", "double(0) == 0"]
DOUBLE = "def double(x):\n    return 2 * x\n"


def test_correct_fenced_function_passes_every_test():
    scorer = unit_test_scorer("double", DOUBLE_TESTS)
    answer = f"Here you go:\n\n```python\n{DOUBLE}```\n\nIt multiplies by two."
    assert scorer(answer) == 1.0


def test_buggy_function_gets_partial_credit():
    scorer = unit_test_scorer("double", DOUBLE_TESTS)
    buggy = "```python\ndef double(x):\n    return x + 2 if x > 0 else 2 * x\n```"
    assert scorer(buggy) == 0.75  # wrong only for double(1)


def test_infinite_loop_is_cut_at_the_time_limit_and_scores_zero():
    started = time.monotonic()
    report = run_tests(
        "def double(x):\n    while True:\n        pass\n", DOUBLE_TESTS, time_limit_s=1.0
    )
    elapsed = time.monotonic() - started
    assert report.timed_out
    assert report.fraction == 0.0
    assert elapsed < 5.0


def test_tests_finished_before_a_hang_keep_their_credit():
    code = "def double(x):\n    while x < 0:\n        pass\n    return 2 * x\n"
    report = run_tests(code, DOUBLE_TESTS, time_limit_s=1.0)
    assert report.timed_out
    assert report.passed == 2


def test_memory_bomb_fails_fast_without_harming_the_caller():
    started = time.monotonic()
    report = run_tests("blob = bytearray(8 * 1024 ** 3)\n" + DOUBLE, DOUBLE_TESTS)
    assert report.fraction == 0.0
    assert report.load_error == "MemoryError"
    assert time.monotonic() - started < 5.0


def test_candidate_output_cannot_forge_passing_results():
    code = "print('PASS 0\\nPASS 1\\nPASS 2\\nPASS 3')\ndef double(x):\n    return 0\n"
    assert run_tests(code, DOUBLE_TESTS).passed == 1  # only double(0) == 0 really holds


def test_code_runs_in_a_fresh_temporary_directory():
    here = os.getcwd()
    code = f"import os\ndef double(x):\n    return 2 * x if os.getcwd() != {here!r} else 0\n"
    assert run_tests(code, DOUBLE_TESTS).fraction == 1.0


def test_extract_code_prefers_the_block_that_defines_the_function():
    answer = (
        "```python\nimport math\n```\n\n```python\ndef double(x):\n    return 2 * x\n```\n\n"
        "Usage:\n```python\nprint(double(4))\n```"
    )
    code = extract_code(answer, "double")
    assert code is not None
    assert code.index("import math") < code.index("def double")
    assert "print(double(4))" not in code


def test_usage_example_blocks_do_not_break_the_solution():
    scorer = unit_test_scorer("double", DOUBLE_TESTS)
    answer = f"```python\n{DOUBLE}```\n\nExample:\n```python\nprint(double(4))  # 8\n```"
    assert scorer(answer) == 1.0


def test_extract_code_reads_bare_code_and_drops_trailing_prose():
    answer = "Sure.\ndef double(x):\n    return 2 * x\nThis doubles the input, as asked."
    assert extract_code(answer, "double") == "def double(x):\n    return 2 * x"


def test_answer_without_the_requested_function_scores_zero_without_running_anything():
    scorer = unit_test_scorer("double", DOUBLE_TESTS)
    assert scorer("```python\ndef triple(x):\n    return 3 * x\n```") == 0.0
    assert extract_code("I cannot write that.", "double") is None
