"""Prefect's embedded default, made quiet and lossless.

With no Prefect server configured (no ``PREFECT_API_URL`` in the environment or the Prefect
profile), Prefect 3 starts a temporary ("ephemeral") API server in a subprocess for the run and
kills it at exit. Measured on this project (prefect 3.9, 512 async tasks): only 13 of 512 task
runs reached the database, and lock / CancelledError tracebacks from the server's task-run
recorder were printed at exit.

What MAP-ELITE does instead (chosen over a long-lived local server the tool would have to start,
find and stop again, which would leave a background process behind):

1. before Prefect is imported, point the ephemeral server at a persistent SQLite database next
   to the ledger, ``$MAPELITE_HOME/prefect.db`` (unless the user chose ``PREFECT_HOME`` or a
   database: then Prefect's persistent ``$PREFECT_HOME/prefect.db`` is used). It is kept across
   runs; ``prefect server start`` with ``PREFECT_SERVER_DATABASE_CONNECTION_URL`` set to it
   shows the history. The server's log level goes to CRITICAL and the client's event-worker
   drain warnings ("Still processing items") to ERROR, so shutdown noise is not printed (our
   own errors are still shown);
2. after a flow returns, drain Prefect's event worker and wait, bounded, until every task run
   of the flow run is recorded in a final state (`settle_history`). Measured: 512 of 512 task
   runs kept, in ≈5-8 s for 512 tasks (≈0.5 s for a ``:10`` run). If the bound is hit, one line
   says how many task runs are missing from the history instead of losing them silently.

With a server configured nothing here applies: flows run against it unchanged. Only stdlib is
imported at module level, so `prepare_environment` can run before Prefect loads its settings.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

SETTLE_TIMEOUT_S = 30.0
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


def prepare_environment(home: Path | None = None) -> None:
    """Defaults for Prefect; must run before ``import prefect``. User-set values win."""
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


def is_embedded() -> bool:
    from prefect.settings import get_current_settings

    return not get_current_settings().api.url


async def settle_history(
    flow_run_id: str, expected_task_runs: int, timeout_s: float = SETTLE_TIMEOUT_S
) -> int:
    """Wait until the embedded server has recorded ``expected_task_runs`` finished task runs of
    the flow run; returns how many are still missing (0 when all are kept). No-op (0) when a
    server is configured: it keeps running and records them itself."""
    if not is_embedded():
        return 0
    quiet_service_loggers()
    if expected_task_runs <= 0:
        return 0
    import asyncio
    import inspect

    from prefect.client.orchestration import get_client
    from prefect.events.worker import EventsWorker

    drained: object = EventsWorker.drain_all()
    if inspect.isawaitable(drained):
        await drained
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
