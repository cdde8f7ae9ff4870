"""Without working namespaces, SHAPE still scores, and says once that isolation is reduced."""

from __future__ import annotations

import logging

from mapelite.harnesses.shape_tests import Case, run_tests
from mapelite.sandbox import bwrap as sandbox_bwrap
from mapelite.sandbox.runner import Limits, Sandbox

DOUBLE = "def double(x):\n    return 2 * x\n"
TESTS = [Case((1,), 2), Case((-3,), -6)]


def test_missing_bubblewrap_is_announced_once_and_code_runs_in_a_plain_child(
    monkeypatch, tmp_path, caplog
):
    monkeypatch.setattr(sandbox_bwrap, "_chosen", None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on this PATH
    with caplog.at_level(logging.WARNING, logger=sandbox_bwrap.__name__):
        first = sandbox_bwrap.current_backend()
        second = sandbox_bwrap.current_backend()
        report = run_tests(DOUBLE, "double", TESTS)
    assert first is second and first.isolation == "subprocess"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "reduced isolation" in warnings[0].getMessage()
    assert report.fraction == 1.0 and report.isolation == "subprocess"


def test_a_bubblewrap_that_fails_its_probe_falls_back_with_the_reason(tmp_path, caplog):
    broken = tmp_path / "bwrap"
    broken.write_text("#!/bin/sh\necho 'bwrap: No permission to create namespaces' >&2\nexit 1\n")
    broken.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger=sandbox_bwrap.__name__):
        backend = sandbox_bwrap.probe_backend(str(broken), sandbox_bwrap.real_interpreter())
    assert backend.isolation == "subprocess"
    assert "No permission to create namespaces" in caplog.text


def test_the_plain_child_keeps_per_test_budgets_and_memory_limits():
    backend = sandbox_bwrap.Backend(bwrap=None, interpreter=sandbox_bwrap.real_interpreter())
    hangs_on_negatives = "def double(x):\n    while x < 0:\n        pass\n    return 2 * x\n"
    report = run_tests(
        hangs_on_negatives,
        "double",
        [*TESTS, Case((4,), 8)],
        limits=Limits(test_time_s=1.0),
        backend=backend,
    )
    assert (report.passed, report.total, report.timed_out) == (2, 3, True)
    bomb = "blob = bytearray(8 * 1024 ** 3)\n" + DOUBLE
    assert run_tests(bomb, "double", TESTS, backend=backend).load_error == "MemoryError"


def test_the_plain_child_gets_neither_our_environment_nor_our_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("MAPELITE_TEST_PROVIDER_KEY", "sk-test-not-for-the-child")
    (tmp_path / ".env").write_text("OPENROUTER_API_KEY=sk-test-not-for-the-child\n")
    monkeypatch.chdir(tmp_path)
    backend = sandbox_bwrap.Backend(bwrap=None, interpreter=sandbox_bwrap.real_interpreter())
    code = (
        "import os\n"
        "def seen():\n"
        "    return [sorted(os.environ), os.getcwd(), os.path.exists('.env')]\n"
    )
    with Sandbox(code, backend=backend) as box:
        result = box.call("seen", ())
    assert result.kind == "ok"
    names, cwd, env_file_visible = result.value
    assert "MAPELITE_TEST_PROVIDER_KEY" not in names
    assert cwd != str(tmp_path) and not env_file_visible
