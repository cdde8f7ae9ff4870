"""The local Prefect API server process (started by `flows.local_api`, not by users).

    python -m flows.api_server --fd N --state PATH --idle SECONDS

Serves Prefect's API (the services of Prefect's own embedded server: the task-run recorder, the
event persister...) on the listening socket inherited as ``--fd``, with the database of
``PREFECT_SERVER_DATABASE_CONNECTION_URL``, until it has been idle for ``--idle`` seconds.

A new SQLite database gets its schema the fast way when it can: Prefect's migrations take
5-9 s on a new database, so the first server of a Prefect version keeps a copy of the freshly
built, empty database (``$XDG_CACHE_HOME/mapelite/prefect-<version>-schema.db``) and later new
databases start as a copy of it. A marker next to the database (``prefect.db.ready``) records the
Prefect version whose schema it holds, so that a restarted server skips the migration check
(≈1.5 s) and an upgraded Prefect migrates it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from flows.local_api import read_state, sqlite_path, state_lock

PREFECT_VERSION = version("prefect")
CHECK_EVERY_S = 1.0


def schema_cache() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "mapelite" / f"prefect-{PREFECT_VERSION}-schema.db"


def ready_marker(database: Path) -> Path:
    return database.with_name(database.name + ".ready")


def is_ready(database: Path) -> bool:
    """The database holds the schema of this Prefect version (and its block types)."""
    try:
        marker = json.loads(ready_marker(database).read_text())
    except (OSError, ValueError):
        return False
    return bool(database.exists() and marker.get("prefect") == PREFECT_VERSION)


def mark_ready(database: Path) -> None:
    ready_marker(database).write_text(json.dumps({"prefect": PREFECT_VERSION}))


def copy_file(source: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)


async def build_schema() -> None:
    """Prefect's migrations and block-type registration, as its server does at start."""
    from prefect.server.database import provide_database_interface
    from prefect.server.models.block_registration import run_block_auto_registration

    db = provide_database_interface()
    await db.create_db()
    session = await db.session()
    async with session:
        await run_block_auto_registration(session=session)


async def prepare_database() -> None:
    """Make the database ready before serving: a copy of the cached schema for a new SQLite
    database, Prefect's migrations otherwise; skipped when the marker says it is ready."""
    database = sqlite_path(os.environ.get("PREFECT_SERVER_DATABASE_CONNECTION_URL", ""))
    if database is not None and is_ready(database):
        return
    cache = schema_cache()
    if database is not None and not database.exists() and cache.exists():
        database.parent.mkdir(parents=True, exist_ok=True)
        copy_file(cache, database)
        mark_ready(database)
        return
    fresh = database is not None and not database.exists()
    await build_schema()
    if database is None:
        return
    if fresh:  # still empty: keep its schema for the next new database
        with contextlib.suppress(OSError, sqlite3.Error):
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            with contextlib.closing(sqlite3.connect(database)) as connection:
                connection.execute("VACUUM INTO ?", (str(tmp),))
            tmp.replace(cache)
    mark_ready(database)


class ActivityTracker:
    """ASGI wrapper that knows when the API was last used and how many connections are open
    (an event websocket of a running flow counts as activity for as long as it is open)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.open = 0
        self.last_activity = time.monotonic()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        self.open += 1
        self.last_activity = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
            self.last_activity = time.monotonic()


def leave_if_idle(tracker: ActivityTracker, state: Path, idle_s: float) -> bool:
    """Under the state lock: idle long enough (no request, no open connection, no command
    attaching: they touch the state file) → remove our state file and say so."""
    with state_lock(state):
        try:
            attached = time.time() - state.stat().st_mtime
        except OSError:
            attached = float("inf")
        quiet = min(time.monotonic() - tracker.last_activity, attached)
        if tracker.open or quiet < idle_s:
            return False
        found = read_state(state)
        if found is not None and found.pid == os.getpid():
            state.unlink(missing_ok=True)
        return True


async def serve(sock: socket.socket, state: Path, idle_s: float) -> None:
    import uvicorn
    from prefect.server.api.server import create_app
    from prefect.settings import (
        PREFECT_API_BLOCKS_REGISTER_ON_START,
        PREFECT_API_DATABASE_MIGRATE_ON_START,
        temporary_settings,
    )

    await prepare_database()
    # Done above (or known done): the app must not redo them at every start.
    updates = {
        PREFECT_API_DATABASE_MIGRATE_ON_START: False,
        PREFECT_API_BLOCKS_REGISTER_ON_START: False,
    }
    with temporary_settings(updates=updates):
        tracker = ActivityTracker(create_app(ephemeral=True, final=True))
        config = uvicorn.Config(tracker, log_level="error", lifespan="on", access_log=False)
        server = uvicorn.Server(config)

        async def watch() -> None:
            while not server.should_exit:
                await asyncio.sleep(CHECK_EVERY_S)
                if await asyncio.to_thread(leave_if_idle, tracker, state, idle_s):
                    server.should_exit = True

        def stop(signum: int, frame: object) -> None:
            server.should_exit = True

        # uvicorn handles SIGTERM while it serves and then re-raises it to the handler found
        # before: this one, so that the state file is cleaned up below instead of dying.
        signal.signal(signal.SIGTERM, stop)
        watcher = asyncio.create_task(watch())
        try:
            await server.serve(sockets=[sock])
        finally:
            watcher.cancel()
            # Stopped by a signal: the state file must not name a server that is gone.
            with state_lock(state):
                found = read_state(state)
                if found is not None and found.pid == os.getpid():
                    state.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.api_server", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="listening socket to serve on")
    parser.add_argument("--state", type=Path, required=True, help="state file of this server")
    parser.add_argument("--idle", type=float, required=True, help="exit after idle seconds")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    asyncio.run(serve(sock, args.state, args.idle))


if __name__ == "__main__":
    main()
