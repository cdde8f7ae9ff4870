"""Helpers shared by the flow tests: pointing providers at the model server, reading the ledger."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from mapelite.config.settings import Settings, get_settings
from mapelite.ledger.chain import Ledger
from mapelite.schemas import HarnessResult
from mapelite.testing.model_server import ModelServer
from tests.support.model_server_fixtures import TEST_KEY

REPO = Path(__file__).resolve().parents[1]


def use_model_server(
    monkeypatch: pytest.MonkeyPatch, server: ModelServer, *, global_limits: bool = False
) -> Settings:
    """Providers at ``server``; Prefect global limits off unless asked for (they make every call
    3 round trips to the SQLite test API: slow, and tested on their own)."""
    monkeypatch.setenv("MAPELITE_PREFECT_GLOBAL_LIMITS", "true" if global_limits else "false")
    monkeypatch.setenv("MAPELITE_OPENROUTER_BASE_URL", server.base_url)
    monkeypatch.setenv("MAPELITE_OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("MAPELITE_OPENROUTER_API_KEY", TEST_KEY)
    get_settings.cache_clear()
    return get_settings()


def ledger_entries() -> list[HarnessResult]:
    return list(Ledger(get_settings().ledger).read())


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONPATH"] = str(REPO)
    return env


PYTHON = sys.executable


def map_elite(
    *args: str,
    prefect_api: str | None = None,
    file_size_limit: int | None = None,
    timeout_s: float = 180,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """``map-elite ARGS`` as a user runs it: a real process, this test's MAPELITE_HOME, ``env``
    on top; against ``prefect_api`` when given (faster than an embedded server per process),
    with Prefect's own output as a user sees it. ``file_size_limit``: the child may not grow any
    file past it (its writes then fail with EFBIG, like a full disk)."""

    def limit_file_size() -> None:  # runs in the child
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    environment = subprocess_env(**env)
    if prefect_api is not None:
        environment["PREFECT_API_URL"] = prefect_api
        environment.pop("PREFECT_LOGGING_LEVEL", None)
    return subprocess.run(
        [PYTHON, "-m", "cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
        preexec_fn=limit_file_size,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The only line a command printed (stdout and stderr together): ``error: ...``, no
    traceback."""
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def sha256_of(path: Path) -> str | None:
    """The file's sha256, or None when there is no file."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
