"""Run model-written Python against hidden tests in a separate, limited process.

Generated code never runs in the caller's process. Each run gets a fresh temporary directory,
an isolated interpreter (``python -I``: no site-packages of the user, no PYTHON* variables),
a wall-clock limit enforced by the caller (the whole process group is killed), and address
space / CPU / file-size limits set inside the child before the untrusted code is even read.

The limits are applied by the child's bootstrap rather than by ``preexec_fn``: ``preexec_fn``
is documented as unsafe when the caller has threads (Prefect runs tasks in worker threads), and
limits set before the untrusted code is compiled bind it just the same (soft and hard limits
are both lowered, so the code cannot raise them back).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIME_LIMIT_S = 5.0
DEFAULT_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
_FILE_SIZE_LIMIT_BYTES = 1024 * 1024
_RESULT_LIMIT_BYTES = 64 * 1024

# The child's bootstrap. It lowers its own limits, keeps a private handle on the real stdout
# for results, points fd 1 at /dev/null (so the candidate's prints cannot flood the caller or
# forge result lines by accident), then loads the solution and evaluates each test expression.
_BOOTSTRAP = r"""
import json, os, resource, sys

def _limit(kind, value):
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass

_limits = json.loads(sys.argv[1])
_limit(resource.RLIMIT_AS, _limits["memory"])
_limit(resource.RLIMIT_CPU, _limits["cpu"])
_limit(resource.RLIMIT_FSIZE, _limits["fsize"])
_limit(resource.RLIMIT_CORE, 0)

_results = os.fdopen(os.dup(1), "w", buffering=1)
_devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(_devnull, 1)
sys.stdout = open(1, "w", closefd=False)

with open("tests.json", encoding="utf-8") as handle:
    _tests = json.load(handle)
with open("solution.py", encoding="utf-8") as handle:
    _source = handle.read()

_namespace = {"__name__": "solution"}
try:
    exec(compile(_source, "solution.py", "exec"), _namespace)
except BaseException as error:
    _results.write("LOAD-FAILED " + type(error).__name__ + "\n")
    _results.flush()
    os._exit(0)

for _index, _test in enumerate(_tests):
    try:
        _passed = eval(_test, dict(_namespace)) is True
    except BaseException:
        _passed = False
    _results.write(("PASS " if _passed else "FAIL ") + str(_index) + "\n")
    _results.flush()
_results.write("DONE\n")
_results.flush()
os._exit(0)
"""


@dataclass(frozen=True)
class SandboxReport:
    """What happened to one candidate: tests passed out of total, and why it stopped."""

    passed: int
    total: int
    timed_out: bool = False
    load_error: str | None = None
    elapsed_s: float = 0.0

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0


def run_tests(
    code: str,
    tests: list[str],
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES,
) -> SandboxReport:
    """Run ``code`` then each test expression (must evaluate to ``True``) in a child process.

    Tests that finished before a timeout still count, so a function that hangs on one input
    keeps the credit of the inputs before it.
    """
    limits = {
        "memory": memory_limit_bytes,
        "cpu": max(1, int(time_limit_s) + 1),
        "fsize": _FILE_SIZE_LIMIT_BYTES,
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mapelite-sandbox-") as workdir:
        Path(workdir, "solution.py").write_text(code, encoding="utf-8")
        Path(workdir, "tests.json").write_text(json.dumps(tests), encoding="utf-8")
        output, timed_out = _run_child(workdir, json.dumps(limits), time_limit_s)
    return _report(output, len(tests), timed_out, time.monotonic() - started)


def _run_child(workdir: str, limits: str, time_limit_s: float) -> tuple[str, bool]:
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _BOOTSTRAP, limits],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={"PATH": os.defpath, "LC_ALL": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir},
        start_new_session=True,  # its own process group, so a timeout kills any children too
    )
    try:
        stdout, _ = process.communicate(timeout=time_limit_s)
        return stdout[:_RESULT_LIMIT_BYTES].decode("utf-8", "replace"), False
    except subprocess.TimeoutExpired:
        _kill_group(process)
        try:
            stdout, _ = process.communicate(timeout=1.0)
        except subprocess.TimeoutExpired:
            # A descendant left the group and still holds the pipe: give up on its output.
            process.kill()
            stdout = b""
            process.wait()
        return stdout[:_RESULT_LIMIT_BYTES].decode("utf-8", "replace"), True


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def _report(output: str, total: int, timed_out: bool, elapsed_s: float) -> SandboxReport:
    passed: set[int] = set()
    load_error: str | None = None
    for line in output.splitlines():
        kind, _, value = line.partition(" ")
        if kind == "PASS" and value.isdigit() and int(value) < total:
            passed.add(int(value))
        elif kind == "LOAD-FAILED":
            load_error = value or "error"
    return SandboxReport(
        passed=len(passed),
        total=total,
        timed_out=timed_out,
        load_error=load_error,
        elapsed_s=elapsed_s,
    )
