"""The local Prefect server a command with no server configured uses: started by the first
command, reused by the next, its history kept in MAPELITE_HOME, gone by itself when idle."""

from __future__ import annotations

import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

from flows.local_api import (
    attach_or_spawn,
    is_our_server,
    read_state,
    server_env,
    state_path,
    stop_servers,
)
from tests.flow_helpers import PYTHON, subprocess_env


def run_tiny_batch(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "cli", "batch", "demo", "--harness", "0", "--yes"],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def wait_for(check, timeout_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return bool(check())


def recorded_runs(database: Path) -> tuple[int, int]:
    """(completed flow runs, completed task runs) in a Prefect SQLite database."""
    with sqlite3.connect(database) as connection:
        flows = connection.execute(
            "select count(*) from flow_run where state_type = 'COMPLETED'"
        ).fetchone()[0]
        tasks = connection.execute(
            "select count(*) from task_run where state_type = 'COMPLETED'"
        ).fetchone()[0]
    return int(flows), int(tasks)


def test_a_second_command_reuses_the_local_server_and_both_runs_are_in_its_history(
    mapelite_home: Path,
) -> None:
    env = subprocess_env()
    for name in ("PREFECT_API_URL", "PREFECT_HOME", "PREFECT_LOGGING_LEVEL"):
        env.pop(name, None)  # the user's default: nothing configured
    state = mapelite_home / "prefect.db.server.json"
    try:
        first = run_tiny_batch(env)
        assert first.returncode == 0, first.stdout + first.stderr
        server = read_state(state)
        assert server is not None and is_our_server(server.pid)

        second = run_tiny_batch(env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert read_state(state) == server  # the same process served both commands
        for done in (first, second):
            output = done.stdout + done.stderr
            assert "Traceback" not in output and "WARNING" not in output, output
        database = mapelite_home / "prefect.db"
        # The server records a run's task runs after the command exits: both runs are kept.
        assert wait_for(lambda: recorded_runs(database) >= (2, 2), 30), recorded_runs(database)
    finally:
        assert stop_servers(mapelite_home) == 1
    assert not is_our_server(server.pid)
    assert not state.exists()


def test_an_idle_local_server_exits_by_itself_and_removes_its_state(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}"
    server = attach_or_spawn(database_url, tmp_path, idle_s=5)
    state = state_path(database_url, tmp_path)
    try:
        with urllib.request.urlopen(f"{server.api_url}/health", timeout=120) as response:
            assert response.status == 200
        assert read_state(state) == server
        assert wait_for(lambda: not is_our_server(server.pid), 60)
        assert not state.exists()
    finally:
        stop_servers(tmp_path)


def test_the_server_process_gets_no_provider_keys(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-secret")
    monkeypatch.setenv("MAPELITE_OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_PASSWORD", "db-password")
    env = server_env("sqlite+aiosqlite:////tmp/x.db")
    assert "sk-or-secret" not in env.values() and "sk-secret" not in env.values()
    assert env["PREFECT_SERVER_DATABASE_PASSWORD"] == "db-password"  # the server's own
    assert env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] == "sqlite+aiosqlite:////tmp/x.db"


def test_prefect_global_limits_are_not_used_on_the_local_server(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tasks.limits import prefect_server_configured

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert prefect_server_configured()
        monkeypatch.setenv("MAPELITE_PREFECT_LOCAL_API", "http://127.0.0.1:9/api")
        assert not prefect_server_configured()
