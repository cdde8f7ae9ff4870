"""Score candidate code against tests: the tests run here, the candidate only in the sandbox.

``run_tests(code, entry_point, tests)`` is the one entry point every SHAPE bank uses. ``tests``
is one of:

- a sequence of ``Case(args, expected)``: ``entry_point(*args)`` must return a value of the
  same type and value as ``expected`` (``same_value``: ``True`` is not ``1``, ``1`` is not
  ``1.0``, floats compare to 1e-9; ``loose_sequences`` lets lists and tuples stand for each
  other where a prompt does not fix which one, at every depth; ``loose_outer`` only for the
  returned container itself, its elements still compare strictly: "returns them as tuples"
  fixes the tuples inside, not the list or tuple around them);
- a sequence of expression strings (``"f(2) == 4"``): each is evaluated here with
  ``entry_point`` bound to a proxy of the candidate's function and passes when it is ``True``;
- ``CheckCode(source, context)``: a HumanEval-style test, source that defines
  ``check(candidate)`` with asserts (``context``: the prompt, whose helpers it may call). It is
  split per test: every top-level statement of ``check``'s body that mentions
  ``candidate`` is one test (run in order, in one namespace, so earlier assignments are seen);
  statements that do not mention it are set-up. Each test has its own time budget.

Values come back from the sandbox decoded into exact builtin types (an object of any other type
is opaque and equals nothing), so a test's ``==`` never runs candidate code. The test code
itself is bank data, trusted like the bank's prompts; model-written code never runs here.
"""

from __future__ import annotations

import ast
import builtins
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mapelite.sandbox.bwrap import Backend
from mapelite.sandbox.runner import CallResult, Limits, Sandbox

_FLOAT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Case:
    """One test: ``entry_point(*args)`` must equal ``expected`` in type and value."""

    args: tuple[Any, ...]
    expected: Any
    loose_sequences: bool = False
    loose_outer: bool = False
    """The returned list or tuple may be either; its elements compare strictly."""


@dataclass(frozen=True)
class CheckCode:
    """HumanEval-style test source defining ``check(candidate)``.

    ``context`` is bank code the test may read, run here before it: HumanEval's tests call
    helpers defined in the prompt (``poly``, ``encode_cyclic``) and sometimes the asked
    function by its own name, which is bound to the candidate too.
    """

    source: str
    context: str = ""


Tests = Sequence[Case] | Sequence[str] | CheckCode


@dataclass(frozen=True)
class SandboxReport:
    """What happened to one candidate: tests passed out of total, and how it ran."""

    passed: int
    total: int
    timed_out: bool = False
    load_error: str | None = None
    elapsed_s: float = 0.0
    isolation: str = "namespaces"
    restarts: int = 0

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0


class CandidateTimeout(BaseException):
    """A call ran past its test's budget (BaseException: a test's ``except Exception`` must
    not swallow it)."""


class CandidateBroken(BaseException):
    """The sandbox died or answered out of protocol during a call."""


class CandidateRaised(Exception):
    """The candidate's function raised an exception that is not a builtin one."""


def same_value(
    result: Any, expected: Any, loose_sequences: bool = False, loose_outer: bool = False
) -> bool:
    """Equal in type and value, recursively (see the module docstring)."""
    sequences = (list, tuple)
    if loose_outer and type(expected) in sequences and type(result) in sequences:
        return len(result) == len(expected) and all(
            same_value(r, e, loose_sequences) for r, e in zip(result, expected, strict=True)
        )
    if type(expected) is float:
        if type(result) is not float:
            return False
        if math.isnan(expected):
            return math.isnan(result)
        return math.isclose(result, expected, rel_tol=_FLOAT_TOLERANCE, abs_tol=_FLOAT_TOLERANCE)
    if loose_sequences and type(expected) in sequences and type(result) in sequences:
        pass
    elif type(result) is not type(expected):
        return False
    if type(expected) in sequences:
        return len(result) == len(expected) and all(
            same_value(r, e, loose_sequences) for r, e in zip(result, expected, strict=True)
        )
    if type(expected) is dict:
        return _same_keys(result, expected) and all(
            same_value(result[key], value, loose_sequences) for key, value in expected.items()
        )
    if type(expected) in (set, frozenset):
        return _same_keys(result, expected)
    return bool(result == expected)


def _same_keys(result: Any, expected: Any) -> bool:
    # Builtin == on keys says 1 == True; look the stored key up and compare its type too.
    if len(result) != len(expected):
        return False
    stored = {key: key for key in result}
    return all(key in stored and same_value(stored[key], key) for key in expected)


def run_tests(
    code: str,
    entry_point: str,
    tests: Tests,
    *,
    limits: Limits | None = None,
    backend: Backend | None = None,
) -> SandboxReport:
    """Load ``code`` in one sandbox and run every test of ``tests`` against ``entry_point``."""
    limits = limits or Limits()
    started = time.monotonic()
    runner = _Runner(code, entry_point, limits, backend, _count(tests))
    try:
        load_error = runner.box.start()
        if load_error is not None:
            passed, total = 0, _count(tests)
        elif isinstance(tests, CheckCode):
            passed, total = runner.run_check(tests)
        else:
            passed = sum(runner.run_one(test) for test in tests)
            total = len(tests)
    finally:
        runner.box.close()
    return SandboxReport(
        passed=passed,
        total=total,
        timed_out=runner.timed_out,
        load_error=load_error,
        elapsed_s=time.monotonic() - started,
        isolation=runner.box.backend.isolation,
        restarts=max(runner.box.restarts, 0),
    )


def fraction_passed(code: str, entry_point: str, tests: Tests, **options: Any) -> float:
    """The share of ``tests`` that ``code`` passes (0.0 when it does not load)."""
    return run_tests(code, entry_point, tests, **options).fraction


def _count(tests: Tests) -> int:
    if isinstance(tests, CheckCode):
        return len(_check_tests(tests.source)[1]) or 1
    return len(tests)


class _Runner:
    """Runs tests here, one budget each; the candidate's function is a proxy to the sandbox."""

    def __init__(
        self, code: str, entry_point: str, limits: Limits, backend: Backend | None, calls: int
    ) -> None:
        self.box = Sandbox(code, limits, calls=calls, backend=backend)
        self.entry_point = entry_point
        self.limits = limits
        self.timed_out = False
        self._deadline = 0.0

    def _begin_test(self) -> None:
        self._deadline = time.monotonic() + self.limits.test_time_s

    def proxy(self, *args: Any) -> Any:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            self.timed_out = True
            raise CandidateTimeout
        return _unwrap(self.box.call(self.entry_point, args, time_s=remaining), self)

    def run_one(self, test: Case | str) -> bool:
        self._begin_test()
        try:
            if isinstance(test, Case):
                result = self.proxy(*test.args)
                return same_value(result, test.expected, test.loose_sequences, test.loose_outer)
            value = eval(test, {"__builtins__": builtins, self.entry_point: self.proxy})
            return value is True
        except (Exception, CandidateTimeout, CandidateBroken):
            return False

    def run_check(self, check: CheckCode) -> tuple[int, int]:
        setup, body = _check_tests(check.source)
        namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": "check"}
        exec(compile(check.context, "<context>", "exec", dont_inherit=True), namespace)
        exec(compile(setup, "<check>", "exec", dont_inherit=True), namespace)
        namespace["candidate"] = namespace[self.entry_point] = self.proxy
        passed = 0
        for statement, is_test in body:
            self._begin_test()
            try:
                exec(compile(statement, "<check>", "exec", dont_inherit=True), namespace)
            except (Exception, CandidateTimeout, CandidateBroken):
                continue
            passed += is_test
        total = sum(is_test for _, is_test in body)
        return passed, total


def _unwrap(result: CallResult, runner: _Runner) -> Any:
    if result.kind == "ok":
        return result.value
    if result.kind == "timeout":
        runner.timed_out = True
        raise CandidateTimeout
    if result.kind == "broken":
        raise CandidateBroken(result.detail)
    # A builtin exception type keeps its type, so a test that expects ValueError sees one.
    name = result.detail.partition(": ")[2]
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        raise kind(f"raised by the candidate: {name}")
    raise CandidateRaised(name)


def _check_tests(source: str) -> tuple[ast.Module, list[tuple[ast.Module, bool]]]:
    """The set-up of a ``check`` source and its body split into (statement, is_test)."""
    tree = ast.parse(source)
    check = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None
    )
    if check is None:
        raise ValueError("the test source defines no check(candidate)")
    setup = ast.Module(body=[n for n in tree.body if n is not check], type_ignores=[])
    parameter = check.args.args[0].arg if check.args.args else "candidate"
    body = []
    for statement in check.body:
        renamed = _Rename(parameter).visit(statement)
        is_test = any(isinstance(n, ast.Name) and n.id == "candidate" for n in ast.walk(renamed))
        module = ast.fix_missing_locations(ast.Module(body=[renamed], type_ignores=[]))
        body.append((module, is_test))
    return setup, body


class _Rename(ast.NodeTransformer):
    """Calls the check's parameter ``candidate`` whatever the source named it."""

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id == self.parameter:
            return ast.copy_location(ast.Name(id="candidate", ctx=node.ctx), node)
        return node
