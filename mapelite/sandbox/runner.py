"""Run model-written Python in a separate, isolated process and call its functions from here.

Design (why it is shaped like this):

- One sandbox process per candidate, not one per test: starting an isolated interpreter is
  the expensive part, so the candidate's code is loaded once and each test is one call over a
  pipe. Isolation between candidate and tests does not suffer, because the tests never run in
  the sandbox: this process sends only a call's arguments and reads back a plain value in a
  tagged encoding (``sandbox_child``: exact builtin types, anything else is an opaque value
  that equals nothing). Expected values never enter the sandbox, so a candidate that replaces
  ``builtins.eval``, patches the encoder or writes forged lines into the result pipe can at
  most claim "my function returned X" - no better than a function that returns X. Comparison
  happens here, by type and value (``shape_tests``).
- Each call has its own time budget. A call that does not answer in time, an oversized or
  malformed reply, or a dead child ends that sandbox (everything in it is killed) and the next
  call starts a fresh one: one hanging input does not forfeit the tests after it.
- Replies are read with a cap (``reply_bytes``); the candidate's own stdout and stderr are
  /dev/null inside the sandbox. The parent's memory stays bounded whatever the child writes.
- The process is started by ``sandbox_bwrap``: bubblewrap namespaces when they work here
  (read that module for what the child can see), else a plain child with resource limits and
  a warning logged once. Limits set in the child before the candidate's code is read: address
  space, CPU seconds, file size, process count, open files, no core dumps.
- On close the sandbox is always killed: in a PID namespace, killing its first process kills
  every process the candidate started (a ``setsid`` grandchild included), and we wait for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from mapelite.sandbox.bwrap import Backend, current_backend
from mapelite.sandbox.child import decode, encode

CallKind = Literal["ok", "raised", "timeout", "broken"]
_EXIT_WAIT_S = 5.0


@dataclass(frozen=True)
class Limits:
    """Budgets of one candidate's sandbox."""

    load_time_s: float = 5.0  # start the interpreter and run the candidate's top level
    test_time_s: float = 2.0  # each call, separately
    memory_bytes: int = 256 * 1024 * 1024
    processes: int = 32
    file_size_bytes: int = 1024 * 1024
    open_files: int = 64
    reply_bytes: int = 1024 * 1024

    def child_limits(self, calls: int) -> dict[str, int]:
        cpu = int(self.load_time_s + self.test_time_s * max(calls, 1)) + 1
        return {
            "memory": self.memory_bytes,
            "cpu": cpu,
            "fsize": self.file_size_bytes,
            "nproc": self.processes,
            "nofile": self.open_files,
            "core": 0,
        }


@dataclass(frozen=True)
class CallResult:
    """What one call did: returned ``value`` ("ok"), raised ``detail``, ran out of time, or
    broke the sandbox (died, oversized or malformed reply)."""

    kind: CallKind
    value: Any = None
    detail: str = ""


class _Reader:
    """Line reader over a pipe with a deadline and a byte cap; never buffers more than the cap."""

    def __init__(self, fd: int, cap: int) -> None:
        self._fd = fd
        self._cap = cap
        self._buffer = bytearray()
        os.set_blocking(fd, False)

    def line(self, deadline: float) -> bytes | Literal["timeout", "eof", "too-long"]:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                return line
            if len(self._buffer) > self._cap:
                return "too-long"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            if not poller.poll(remaining * 1000):
                return "timeout"
            try:
                chunk = os.read(self._fd, min(65536, self._cap + 1 - len(self._buffer)))
            except BlockingIOError:
                continue
            if not chunk:
                return "eof"
            self._buffer += chunk


class Sandbox:
    """A candidate's code loaded in an isolated process; ``call`` runs one of its functions."""

    def __init__(
        self,
        code: str,
        limits: Limits | None = None,
        *,
        calls: int = 1,
        backend: Backend | None = None,
    ) -> None:
        self.code = code
        self.limits = limits or Limits()
        self.backend = backend or current_backend()
        self._child_limits = self.limits.child_limits(calls)
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: _Reader | None = None
        self._pidfd: int | None = None
        self._workdir: str | None = None
        self._seq = 0
        self.load_error: str | None = None
        self.restarts = -1

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> str | None:
        """Start a fresh sandbox and load the code; the load error's type name, or None."""
        self.close()
        self.restarts += 1
        deadline = time.monotonic() + self.limits.load_time_s
        info_read, info_write = os.pipe() if self.backend.bwrap else (None, None)
        if self.backend.bwrap is None:
            # No mount namespace: at least a fresh working directory, never the caller's.
            self._workdir = tempfile.mkdtemp(prefix="mapelite-sandbox-")
        workdir = self._workdir or "/"
        try:
            self._process = subprocess.Popen(
                self.backend.command(self._child_limits, info_write),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                pass_fds=() if info_write is None else (info_write,),
                start_new_session=True,
                cwd=workdir,
                # Nothing of ours (provider keys live in our environment) reaches the child.
                env={"PATH": os.defpath, "LC_ALL": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir},
            )
        except OSError:
            # Not the candidate's fault (the interpreter or bwrap could not start): raise.
            if info_read is not None:
                os.close(info_read)
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None
            raise
        finally:
            if info_write is not None:
                os.close(info_write)
        assert self._process.stdin is not None and self._process.stdout is not None
        if info_read is not None:
            self._pidfd = _namespace_init_pidfd(info_read, deadline)
        self._reader = _Reader(self._process.stdout.fileno(), self.limits.reply_bytes)
        os.set_blocking(self._process.stdin.fileno(), False)
        if not self._send({"code": self.code}, deadline):
            return self._load_failed("Unresponsive")
        reply = self._reader.line(deadline)
        if reply == "timeout":
            return self._load_failed("Timeout")
        if isinstance(reply, str):
            return self._load_failed("Crashed")
        message = _parse(reply)
        if message == ["loaded"]:
            self.load_error = None
            return None
        failed = isinstance(message, list) and len(message) == 2 and message[0] == "load-error"
        return self._load_failed(str(message[1])[:80] if failed else "Malformed")

    def call(self, name: str, args: tuple[Any, ...], *, time_s: float | None = None) -> CallResult:
        """Call ``name(*args)`` in the sandbox (started or restarted as needed), allowing
        ``time_s`` seconds (default: the limits' per-test budget)."""
        if self._process is None and self.start() is not None:
            return CallResult("broken", detail=f"load failed: {self.load_error}")
        assert self._reader is not None
        self._seq += 1
        deadline = time.monotonic() + (self.limits.test_time_s if time_s is None else time_s)
        if not self._send([self._seq, name, encode(args)], deadline):
            self.close()
            return CallResult("broken", detail="request not taken")
        reply = self._reader.line(deadline)
        if isinstance(reply, str):
            self.close()
            return CallResult("timeout" if reply == "timeout" else "broken", detail=reply)
        return self._result(_parse(reply))

    def _result(self, message: Any) -> CallResult:
        if not (isinstance(message, list) and len(message) == 3 and message[0] == self._seq):
            self.close()  # out of step: nothing later on this pipe can be trusted to match
            return CallResult("broken", detail="malformed reply")
        _, kind, payload = message
        if kind == "ok":
            try:
                return CallResult("ok", value=decode(payload))
            except (ValueError, TypeError, RecursionError, OverflowError):
                return CallResult("broken", detail="undecodable value")
        return CallResult("raised", detail=f"{kind}: {str(payload)[:80]}")

    def _send(self, message: Any, deadline: float) -> bool:
        assert self._process is not None and self._process.stdin is not None
        data = (json.dumps(message) + "\n").encode()
        fd = self._process.stdin.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                return False
            try:
                data = data[os.write(fd, data) :]
            except BlockingIOError:
                continue
            except OSError:  # the child is gone
                return False
        return True

    def _load_failed(self, reason: str) -> str:
        self.close()
        self.load_error = reason
        return reason

    def close(self) -> None:
        """Kill the sandbox and everything in it; wait until it is gone."""
        process, self._process = self._process, None
        if process is None:
            return
        if self._pidfd is not None:
            # The PID namespace's first process: the kernel takes every other one with it.
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            # bubblewrap's outer process may exit before its first process has finished
            # taking the namespace down: wait for that process itself (its exit completes only
            # once every other process in the namespace is gone).
            poller = select.poll()
            poller.register(self._pidfd, select.POLLIN)
            poller.poll(_EXIT_WAIT_S * 1000)
            os.close(self._pidfd)
            self._pidfd = None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        try:
            process.wait(timeout=_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def _namespace_init_pidfd(info_read: int, deadline: float) -> int | None:
    """A pidfd on the sandbox's first process, from bubblewrap's ``--info-fd`` report."""
    # bubblewrap writes a small JSON object and closes the descriptor.
    text = b""
    poller = select.poll()
    poller.register(info_read, select.POLLIN | select.POLLHUP)
    while len(text) < 4096 and poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
        chunk = os.read(info_read, 4096)
        if not chunk:
            break
        text += chunk
    os.close(info_read)
    try:
        pid = json.loads(text or b"{}").get("child-pid")
        return os.pidfd_open(int(pid)) if pid else None
    except (ValueError, OSError, TypeError, AttributeError):
        return None


def _parse(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None
