"""Test-wide isolation: every test gets its own MAPELITE_HOME; Prefect state lives in a temp dir.

Fixtures for real servers live in tests/support/ and are registered here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Prefect reads its home at import time: isolate it before anything imports prefect.
_PREFECT_HOME = tempfile.mkdtemp(prefix="mapelite-test-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# On a shared, loaded machine Prefect's temporary servers can take longer than its 30 s default
# to answer; a slow start is not what the tests are about.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# pytest-xdist's workers are given COLUMNS=80 and LINES=24, which the main process does not
# have: tables would wrap there and nowhere else. A worker sees the environment the run has.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
# A local Prefect server started by a command under test leaves soon even if the session is
# killed; `stop_local_servers` below stops them at the end of a normal session.
os.environ.setdefault("MAPELITE_PREFECT_SERVER_IDLE_S", "30")
for _key in ("OPENROUTER_API_KEY", "MAPELITE_OPENROUTER_API_KEY", "PREFECT_API_URL"):
    os.environ.pop(_key, None)

pytest_plugins = [
    "tests.support.model_server_fixtures",
    "tests.support.server_fixtures",
    "tests.support.prefect_fixtures",
]


@pytest.fixture(scope="session", autouse=True)
def stop_local_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No background Prefect server outlives the test session (commands under test start
    them for the databases in the test Prefect home and in test homes)."""
    yield
    from flows.local_api import stop_servers

    stop_servers(Path(_PREFECT_HOME))
    stop_servers(tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True)
def mapelite_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "mapelite-home"
    home.mkdir()
    monkeypatch.setenv("MAPELITE_HOME", str(home))
    monkeypatch.delenv("MAPELITE_LEDGER_PATH", raising=False)
    # Recorded, then removed: a test that names a config file (use_config_file sets it in
    # os.environ, as --config does) leaves no config behind for the next test.
    monkeypatch.setenv("MAPELITE_CONFIG", "")
    monkeypatch.delenv("MAPELITE_CONFIG")
    from mapelite.config.settings import get_settings

    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
    if os.environ.pop("MAPELITE_PREFECT_LOCAL_API", None) is not None:
        # A flow called in this process pointed Prefect at a local server: not the next test's.
        os.environ.pop("PREFECT_API_URL", None)
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()
