"""The local Prefect API a command with no server configured uses: started once in the
background, reused by the next commands, gone by itself when idle.

Why: Prefect's own embedded default starts a temporary API server for every command and waits
for it (importing Prefect's server, ≈3-5 s, plus the database migrations on a new database,
≈5-9 s), then kills it at exit before it has recorded the run. Here the first command starts
``python -m flows.api_server`` detached from it (its own session: Ctrl-C on the command does not
reach it), and every later command finds it and talks to it like any server: no start-up wait,
no history lost at exit.

- **No wait for the start**: the command binds the listening socket itself (a free loopback
  port) and hands it to the server process. Connections are accepted by the kernel from that
  moment, so the command goes on at once; its first API call is answered as soon as the server
  is up, while the command's own imports and checks ran in parallel.
- **One server per database**, found through a state file next to it
  (``$MAPELITE_HOME/prefect.db.server.json``: pid, port), read and written under a file lock so
  that two commands starting at once share one server.
- **Idle exit**: the server exits after ``MAPELITE_PREFECT_SERVER_IDLE_S`` (default 600) seconds
  without a request, an open connection or a command attaching to it (a command touches the
  state file under the lock when it attaches; the server removes the state file under the same
  lock before it exits, so a command never attaches to a server that is leaving).

Only the standard library is imported here: this runs before Prefect is imported.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_SUFFIX = ".server.json"
DEFAULT_IDLE_S = 600.0
MIN_IDLE_S = 5.0
LISTEN_BACKLOG = 512
SERVER_MODULE = "flows.api_server"
# What the server process must not inherit from the command: provider keys and other secrets.
SECRET_MARKERS = ("KEY", "SECRET", "TOKEN", "PASSWORD")


@dataclass(frozen=True)
class ServerState:
    pid: int
    port: int
    database: str

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"


def sqlite_path(database_url: str) -> Path | None:
    """The file of a ``sqlite+aiosqlite:///PATH`` URL (None for any other database)."""
    prefix = "sqlite+aiosqlite:///"
    if not database_url.startswith(prefix):
        return None
    return Path(database_url[len(prefix) :].split("?", 1)[0])


def state_path(database_url: str, home: Path) -> Path:
    """Next to a SQLite database (the server belongs to it); in ``home`` for other databases."""
    path = sqlite_path(database_url)
    if path is not None:
        return path.with_name(path.name + STATE_SUFFIX)
    import hashlib

    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return home / f"prefect-{digest}{STATE_SUFFIX}"


@contextlib.contextmanager
def state_lock(state: Path) -> Iterator[None]:
    """Exclusive lock of a state file (a sibling ``.lock`` file; flock is released on close,
    also when the holder dies)."""
    state.parent.mkdir(parents=True, exist_ok=True)
    with open(state.with_suffix(".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_state(state: Path) -> ServerState | None:
    try:
        data = json.loads(state.read_text())
        return ServerState(pid=int(data["pid"]), port=int(data["port"]), database=data["database"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_our_server(pid: int) -> bool:
    """The process exists and is a MAP-ELITE API server (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return SERVER_MODULE.encode() in cmdline


def server_env(database_url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name.startswith("PREFECT_SERVER_DATABASE")  # the server's own credentials
        or (
            not any(marker in name.upper() for marker in SECRET_MARKERS)
            and not name.startswith("MAPELITE_")
            and name != "PREFECT_API_URL"
        )
    }
    env.update(
        {
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": database_url,
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_LOGGING_LEVEL": "ERROR",
            "PREFECT_LOGGING_LEVEL": "ERROR",
            "PYTHONPATH": os.pathsep.join(filter(None, [_import_root(), env.get("PYTHONPATH")])),
        }
    )
    return env


def _import_root() -> str:
    """Where ``flows`` is imported from, so the server process imports the same code."""
    return str(Path(__file__).resolve().parents[1])


def spawn(database_url: str, state: Path, idle_s: float) -> ServerState:
    """Start the server detached (its own session, reparented when the command exits) on a
    socket this process has already bound and put to listen."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(LISTEN_BACKLOG)
        port = int(sock.getsockname()[1])
        fd = sock.fileno()
        os.set_inheritable(fd, True)
        log = state.with_suffix(".log")
        command = [sys.executable, "-m", SERVER_MODULE, "--fd", str(fd), "--state", str(state),
                   "--idle", str(idle_s)]  # fmt: skip
        # sh starts the server in the background and exits at once: the server is nobody's
        # child to wait for, and its output goes to the log file, never to the user's terminal.
        script = 'log="$1"; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
        launched = subprocess.run(
            ["/bin/sh", "-c", script, "sh", str(log), *command],
            pass_fds=(fd,), env=server_env(database_url), cwd=state.parent,
            start_new_session=True, capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        pid = int(launched.stdout.strip().splitlines()[-1])
    finally:
        sock.close()
    found = ServerState(pid=pid, port=port, database=database_url)
    tmp = state.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(found)))
    tmp.replace(state)
    return found


def attach_or_spawn(database_url: str, home: Path, idle_s: float) -> ServerState:
    """The running server of ``database_url`` (marked as just used), or a new one."""
    state = state_path(database_url, home)
    with state_lock(state):
        found = read_state(state)
        if found is not None and found.database == database_url and is_our_server(found.pid):
            os.utime(state)  # counts as activity: the server will not leave now
            return found
        return spawn(database_url, state, max(MIN_IDLE_S, idle_s))


def stop_servers(root: Path, timeout_s: float = 10.0) -> int:
    """Stop every server whose state file is under ``root`` (tests, benches); returns how
    many were running."""
    stopped: list[tuple[int, Path]] = []
    for state in root.rglob(f"*{STATE_SUFFIX}"):
        found = read_state(state)
        if found is None or not is_our_server(found.pid):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(found.pid, signal.SIGTERM)
            stopped.append((found.pid, state))
    deadline = time.monotonic() + timeout_s
    for pid, state in stopped:
        while is_our_server(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if is_our_server(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with state_lock(state):
                found = read_state(state)
                if found is not None and found.pid == pid:
                    state.unlink(missing_ok=True)
    return len(stopped)


def idle_seconds_setting() -> float:
    raw = os.environ.get("MAPELITE_PREFECT_SERVER_IDLE_S", "")
    try:
        return float(raw) if raw else DEFAULT_IDLE_S
    except ValueError:
        return DEFAULT_IDLE_S
