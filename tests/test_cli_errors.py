"""User-facing errors of ``map-elite``: one line and the right exit code, never a traceback.

In-process through `run_app(build_app(), ...)`; the signal tests need a real process.
"""

from __future__ import annotations

import os
import re
import runpy
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli.app import run_app
from cli.flows import swarm_main
from cli.main import build_app
from cli.output import make_console
from cli.workers import nats_main, temporal_main
from mapelite.config.settings import Settings, get_settings
from tests.flow_helpers import PYTHON, subprocess_env


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_app(build_app(), list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str) -> None:
    assert "Traceback" not in err
    assert err.startswith("error: ") and err.strip().count("\n") == 0, err


# -- usage errors ---------------------------------------------------------------------------------

USAGE_ERRORS = [
    (["cost-estimate", ":10", "--runs", "-1"], "Invalid value for '--runs'"),
    (["batch", "demo", "--runs", "0"], "Invalid value for '--runs'"),
    (["swarm", ":10", "--tier", "demo", "--budget", "-1"], "Invalid value for '--budget'"),
    (["cost-estimate", ":10"], "choose models with --tier NAME or --models a,b,c"),
    (["verify", "--bogus"], "No such option: --bogus"),
    (["nosuchcmd"], "No such command 'nosuchcmd'"),
    (["verify", "a", "b"], "unexpected extra argument"),
    (["profile", "--all", "--format", "xml"], "'xml' is not one of"),
]


@pytest.mark.parametrize(
    ("argv", "message"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS]
)
def test_a_usage_error_is_one_line_on_stderr_and_exit_2(capsys, argv: list[str], message: str):
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert_one_line(err)
    assert message in err


def test_bare_map_elite_prints_the_help_not_a_traceback(capsys):
    code, out, err = cli(capsys)
    assert code == 2
    assert "Usage:" in out and "swarm" in out
    assert "Traceback" not in err


def test_python_m_flows_swarm_without_arguments_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exited:
        swarm_main([])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert_one_line(err)
    assert "Missing argument 'pattern'" in err


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("flows.batch", "choose models with --tier NAME or --models"),
        ("flows.eval", "Missing argument"),
    ],
)
def test_python_m_flows_batch_and_eval_run_their_command(
    capsys, monkeypatch, module: str, message: str
):
    # Without an entry point `python -m flows.batch` did nothing and exited 0.
    monkeypatch.setattr(sys, "argv", [module])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module(module, run_name="__main__")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert_one_line(err)
    assert message in err


# -- help -----------------------------------------------------------------------------------------

# Examples run below; the others need the network (refresh, eval's OpenRouter model) or start
# Prefect flows, which the flow and report tests exercise.
EXAMPLES_RUN_HERE = ("harnesses", "items", "models", "cost-estimate", "run", "verify", "profile")


def _every_command() -> list[str]:
    app = build_app()
    names = [command.name for command in app.registered_commands if command.name]
    for group in app.registered_groups:
        assert group.name and group.typer_instance
        names.append(group.name)
        names += [f"{group.name} {sub.name}" for sub in group.typer_instance.registered_commands]
    return names


def test_every_command_has_help_with_an_example_that_runs(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # help lines unwrapped
    examples: dict[str, list[str]] = {}
    commands = _every_command()
    assert {"verify", "run", "profile", "report", "models refresh", "swarm"} <= set(commands)
    for command in commands:
        code, out, _ = cli(capsys, *command.split(), "--help")
        assert code == 0, command
        found = re.findall(rf"Example: (map-elite {command}\b.*?)\s*$", out, re.MULTILINE)
        assert found, f"`map-elite {command} --help` has no example"
        examples[command] = found
    assert "mockllm/strong" not in " ".join(line for ex in examples.values() for line in ex)
    for command in EXAMPLES_RUN_HERE:  # in this order: `run` fills the ledger the rest read
        for example in examples[command]:
            code, out, err = cli(capsys, *shlex.split(example)[1:])
            assert code == 0, f"{example}: {err}"


# -- settings -------------------------------------------------------------------------------------


def test_a_setting_that_is_not_json_is_one_line_naming_it(capsys, monkeypatch):
    monkeypatch.setenv("MAPELITE_PROVIDER_LIMITS", "notjson")
    get_settings.cache_clear()
    code, _, err = cli(capsys, "swarm", ":10", "--tier", "demo")
    assert code == 2
    assert_one_line(err)
    assert "MAPELITE_PROVIDER_LIMITS" in err


def test_a_provider_limit_below_1_is_refused_naming_the_setting(capsys, monkeypatch):
    monkeypatch.setenv("MAPELITE_PROVIDER_LIMITS", '{"mockllm": 0}')
    get_settings.cache_clear()
    code, _, err = cli(capsys, "swarm", ":10", "--tier", "demo")
    assert code == 2
    assert_one_line(err)
    assert "MAPELITE_PROVIDER_LIMITS" in err and "at least 1" in err and "mockllm=0" in err


def test_provider_limits_must_be_at_least_1():
    with pytest.raises(ValueError, match="at least 1"):
        Settings(provider_limits={"ollama": -2})
    assert Settings(provider_limits={"ollama": 1}).provider_limit("ollama") == 1


# -- ledger path ----------------------------------------------------------------------------------


def test_verify_a_directory_is_one_line_exit_1(capsys, tmp_path: Path):
    code, _, err = cli(capsys, "verify", str(tmp_path))
    assert code == 1
    assert_one_line(err)
    assert "cannot read ledger" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_verify_an_unreadable_ledger_is_one_line_exit_1(capsys, tmp_path: Path):
    path = tmp_path / "ledger.jsonl"
    path.write_text("")
    path.chmod(0)
    code, _, err = cli(capsys, "verify", str(path))
    assert code == 1
    assert_one_line(err)
    assert "Permission denied" in err


# -- tables off a terminal ------------------------------------------------------------------------


def test_off_a_terminal_tables_keep_whole_model_ids_and_columns(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert make_console().width >= 200
    code, out, _ = cli(capsys, "run", "0", "--tier", "demo")
    assert code == 0
    assert "mockllm/atlas" in out and "mockllm/harbor" in out
    code, out, _ = cli(capsys, "profile", "--all")
    assert code == 0
    header = next(line for line in out.splitlines() if "average fitness" in line)
    for column in ("rank", "band", "model", "simulated", "coverage", "fitness", "failed entries"):
        assert column in header
    assert "mockllm/harbor" in out


# -- worker arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize("main", [nats_main, temporal_main])
@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_worker_refuses_a_concurrency_below_1(capsys, main, value: str):
    with pytest.raises(SystemExit) as exited:
        main(["worker", "--concurrency", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert_one_line(err)
    assert "--concurrency" in err and "at least 1" in err


# -- signals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sig", "exit_code", "word"), [
    (signal.SIGINT, 130, "interrupted"),
    (signal.SIGTERM, 143, "terminated"),
])  # fmt: skip
def test_a_signal_mid_run_ends_with_one_line_naming_the_run_id_to_resume(
    sig: signal.Signals, exit_code: int, word: str
):
    env = subprocess_env(
        MAPELITE_MOCKLLM_LATENCY_S="0.2",
        MAPELITE_PROGRESS_INTERVAL_S="0.5",
        PYTHONUNBUFFERED="1",
    )
    env.pop("PREFECT_LOGGING_LEVEL", None)  # as a user runs it: Prefect's run logs quiet
    process = subprocess.Popen(
        [PYTHON, "-m", "cli", "batch", "demo", "--runs", "16", "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job ignores SIGINT; a user's foreground run does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        run_id = ""
        for line in process.stdout:
            if line.startswith("run id "):
                run_id = line.split()[2]
            if line.startswith("batch: "):  # a progress line: mid-run, results in the ledger
                break
        assert run_id, "the run never started"
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == exit_code, err
    assert "Traceback" not in err
    assert err.strip() == (
        f"{word}; results written so far are in the ledger; re-run with --run-id {run_id} to resume"
    )


def test_after_sigterm_a_blocked_shutdown_is_ended_by_the_watchdog_with_the_same_line():
    child = (
        "import time\n"
        "from cli import app as cli\n"
        "cli.note_run_started('R1')\n"
        "cli.arm_exit_watchdog(0.2)\n"
        "time.sleep(30)  # a shutdown that never returns\n"
    )
    done = subprocess.run([PYTHON, "-c", child], capture_output=True, text=True, timeout=20)
    assert done.returncode == 143
    assert done.stderr.strip() == (
        "terminated; results written so far are in the ledger; re-run with --run-id R1 to resume"
    )
