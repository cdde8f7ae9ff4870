"""Prefect with no server configured: zero set-up, quiet, fast, and the run history kept.

With no Prefect server configured (no ``PREFECT_API_URL`` in the environment or the Prefect
profile), Prefect 3 starts a temporary ("ephemeral") API server for every command, waits for it
(≈5 s; ≈15 s on a new database: migrations) and kills it at exit, before it has recorded the run
(measured: 13 of 512 task runs kept) and with lock / CancelledError tracebacks.

What MAP-ELITE does instead:

1. before Prefect is imported (`prepare_environment`), its database is a persistent SQLite file
   next to the ledger, ``$MAPELITE_HOME/prefect.db`` (unless the user chose ``PREFECT_HOME`` or a
   database: then that one), and the server's and services' shutdown noise is turned down
   (our own errors are still shown);
2. when a flow is called (`use_local_api`, through `flows.engine.flow`), Prefect is pointed at a
   local API server for that database, started in the background by the first command and
   reused by the next ones until it has been idle for ``MAPELITE_PREFECT_SERVER_IDLE_S`` (600 s);
   see `flows.local_api`. The command does not wait for it to start: it binds the server's
   socket itself, so its first API call simply waits until the server answers.
   ``prefect server start`` with ``PREFECT_SERVER_DATABASE_CONNECTION_URL`` set to the database
   shows the history in the UI;
3. after a flow returns (`settle_history`), the run's events are handed to the server (which
   records them after the command has exited); nothing else is waited for.

``MAPELITE_PREFECT_LOCAL_SERVER=false`` keeps Prefect's own temporary server instead (then, after
a flow, the command waits, bounded, until the task runs are recorded). With a server configured
nothing here applies: flows run against it unchanged. Only stdlib is imported at module level,
so `prepare_environment` can run before Prefect loads its settings.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import subprocess
import time
from pathlib import Path

SETTLE_TIMEOUT_S = 30.0
_exit_handler_registered = False
_FINAL_STATES = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]


USER_CHOSE_LOG_LEVEL = "PREFECT_LOGGING_LEVEL" in os.environ
"""Whether the user set Prefect's log level (then the CLI leaves Prefect's run logs alone)."""


QUIET_SERVICE_LOGGERS = ("EventsWorker", "APILogWorker")
"""Loggers of Prefect's background services (named after their class). At exit they warn
"Still processing items: N items remaining..." while the queued events drain into the local
database: progress noise for a run whose results are already in the ledger."""


def quiet_service_loggers() -> None:
    """Hide the services' drain warnings (errors still show), unless the user chose a level."""
    if USER_CHOSE_LOG_LEVEL:
        return
    for name in QUIET_SERVICE_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _skip_exit_collection() -> None:
    """Registered before Prefect is imported, so it runs after every other exit handler: the
    interpreter's last garbage collections walk every object of Prefect, pydantic and
    SQLAlchemy (measured: 0.5-2.5 s of a command's wall time, after its last line); freezing
    them first makes those collections skip them. Finalizers of objects still referenced run
    as before, and the process ends right after."""
    gc.disable()
    gc.freeze()


def prepare_environment(home: Path | None = None) -> None:
    """Defaults for Prefect; must run before ``import prefect``. User-set values win."""
    global _exit_handler_registered
    if not _exit_handler_registered:
        atexit.register(_skip_exit_collection)
        _exit_handler_registered = True
    # Needed most on the embedded default (its drain into SQLite is slow), but the warning is
    # the same shutdown noise against a server.
    quiet_service_loggers()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    chosen = ("PREFECT_API_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_HOME")
    if any(os.environ.get(name) for name in chosen):
        return  # a server, a database or a Prefect home chosen by the user is used as is
    if home is None:
        home = Path(os.environ.get("MAPELITE_HOME", "~/.mapelite")).expanduser()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # Prefect's own default database is used then
    os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
        f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    )


LOCAL_API_ENV = "MAPELITE_PREFECT_LOCAL_API"
"""Set to the local server's API URL once a flow uses it (`tasks.limits` reads it: Prefect's
global limits are for configured servers, not for this one)."""


def local_server_enabled() -> bool:
    return os.environ.get("MAPELITE_PREFECT_LOCAL_SERVER", "true").strip().lower() not in (
        "0",
        "false",
        "no",
        "off",
    )


def use_local_api() -> None:
    """Before a flow runs: with no Prefect API configured, point Prefect at the local server of
    its database (found running, or started now in the background). If it cannot be started,
    Prefect's own embedded default is used as before."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url and settings.api.url == os.environ.get(LOCAL_API_ENV):
        gc.freeze()  # attached earlier in this command: freeze what was imported since
        return
    if settings.api.url or not local_server_enabled():
        return
    from flows.local_api import attach_or_spawn, idle_seconds_setting

    database = settings.server.database.connection_url
    database_url = database.get_secret_value() if database is not None else ""
    home = Path(os.environ.get("MAPELITE_HOME", "~/.mapelite")).expanduser()
    try:
        found = attach_or_spawn(database_url, home, idle_seconds_setting())
    except (OSError, ValueError, subprocess.SubprocessError):
        return
    from prefect.context import refresh_global_settings_context

    os.environ["PREFECT_API_URL"] = found.api_url
    os.environ[LOCAL_API_ENV] = found.api_url
    refresh_global_settings_context()
    # What exists now (the imported modules: Prefect, pydantic, SQLAlchemy...) lives as long as
    # the command: out of the collector's sight, the run's collections stay cheap (≈5% of the
    # CPU of a 3,072-call batch).
    gc.freeze()


def uses_local_api() -> bool:
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return bool(url) and url == os.environ.get(LOCAL_API_ENV)


def is_embedded() -> bool:
    from prefect.settings import get_current_settings

    return not get_current_settings().api.url


async def settle_history(
    flow_run_id: str, expected_task_runs: int, timeout_s: float = SETTLE_TIMEOUT_S
) -> int:
    """After a flow: hand its events to the server. On Prefect's own temporary server (killed at
    exit) also wait until it has recorded ``expected_task_runs`` finished task runs of the flow
    run; returns how many are still missing (0 when all are kept). A configured or the local
    server keeps running and records them itself."""
    local = uses_local_api()
    if not local and not is_embedded():
        return 0
    quiet_service_loggers()
    await _drain_events()
    if local or expected_task_runs <= 0:
        return 0
    import asyncio

    from prefect.client.orchestration import get_client

    query = {
        "flow_runs": {"id": {"any_": [flow_run_id]}},
        "task_runs": {"state": {"type": {"any_": _FINAL_STATES}}},
    }
    deadline = time.monotonic() + timeout_s
    recorded = 0
    async with get_client() as client:
        while True:
            try:
                response = await client._client.post("/task_runs/count", json=query)
                recorded = int(response.json())
            except Exception:  # the history is best effort; the ledger is the record
                return expected_task_runs - recorded
            if recorded >= expected_task_runs or time.monotonic() > deadline:
                return max(0, expected_task_runs - recorded)
            await asyncio.sleep(0.2)


async def _drain_events() -> None:
    import inspect

    from prefect.events.worker import EventsWorker

    drained: object = EventsWorker.drain_all()
    if inspect.isawaitable(drained):
        await drained
