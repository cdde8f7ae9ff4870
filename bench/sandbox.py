"""Sandbox case: SHAPE problems scored per second under bubblewrap against a plain subprocess.

A problem is one reply scored against its item's hidden tests: code extracted, one sandbox
started, every test called in it, the sandbox torn down. The 12 problems are the core items'
references and near misses. The baseline is the same scorer with the plain-subprocess backend
(resource limits only: the isolation SHAPE had before namespaces); the two are timed in
alternation in the same run, so the ratio is the price of the namespaces. Target: at most 2x.
"""

from __future__ import annotations

import time

from bench.common import Row, median
from mapelite.harnesses.shape_extract import extract_code
from mapelite.harnesses.shape_items import SHAPE_TASKS
from mapelite.harnesses.shape_tests import Case, run_tests
from mapelite.sandbox.bwrap import Backend, current_backend, real_interpreter

TARGET = 2.0


def _problems() -> list[tuple[str, str, list[Case]]]:
    problems = []
    for task in SHAPE_TASKS:
        for reply in (task.reference, task.near_miss):
            code = extract_code(reply, task.function_name)
            assert code is not None
            problems.append((code, task.function_name, list(task.tests)))
    return problems


def _seconds_per_problem(backend: Backend) -> float:
    problems = _problems()
    started = time.perf_counter()
    for code, entry_point, tests in problems:
        run_tests(code, entry_point, tests, backend=backend)
    return (time.perf_counter() - started) / len(problems)


def sandbox_rows(reps: int) -> list[Row]:
    case = "SHAPE problems/s, bubblewrap sandbox"
    bwrap = current_backend()
    if bwrap.bwrap is None:
        return [Row(case, None, error="bubblewrap is unavailable here (see the logged warning)")]
    plain = Backend(bwrap=None, interpreter=real_interpreter())
    _seconds_per_problem(bwrap)  # warm the page cache for both
    sandboxed, baseline = [], []
    for _ in range(max(reps, 3)):
        sandboxed.append(_seconds_per_problem(bwrap))
        baseline.append(_seconds_per_problem(plain))
    wall, base = median(sandboxed), median(baseline)
    return [
        Row(
            case,
            wall,
            baseline="plain subprocess",
            baseline_s=base,
            target=TARGET,
            reps=max(reps, 3),
            shown=f"{1 / wall:.1f}/s",
            note=f"plain subprocess {1 / base:.1f}/s; {len(_problems())} problems, s/problem",
        )
    ]
