"""How a sandbox process is started: under bubblewrap when it works here, else a plain child.

bubblewrap (Debian ``bubblewrap``) gives the child its own PID, network, IPC, UTS and mount
namespaces; the mount namespace holds only read-only binds of what the interpreter needs (the
system's ``/usr`` and the interpreter's own prefix, which for a pyenv or venv interpreter lives
outside ``/usr``), a fresh ``/proc`` of the PID namespace, a minimal ``/dev`` and a small private
``/tmp``. The environment is empty (``--clearenv``), the child gets a new session (it cannot
push characters into our terminal) and dies with its parent. When the first process of a PID
namespace ends, the kernel kills every other process in it: nothing the candidate starts can
outlive the sandbox.

As root, bubblewrap runs without a user namespace and the child drops to a uid of its own
(``uid`` in the limits) before any candidate code runs: root is exempt from RLIMIT_NPROC and
may signal any process, an ordinary uid is neither. As an ordinary user, bubblewrap makes a
user namespace and RLIMIT_NPROC binds as it is.

The first use probes bubblewrap by running a tiny program through it. If bubblewrap is missing
or the probe fails (no namespaces in this container, say), a warning is logged once and code
runs as a plain child with resource limits only, as before.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from mapelite.sandbox import child as sandbox_child

logger = logging.getLogger(__name__)

CHILD_PROGRAM = Path(sandbox_child.__file__).read_text(encoding="utf-8")
_TMP_SIZE_BYTES = 16 * 1024 * 1024
_SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32")
_UID_BASE = 200_000
_uid_counter = itertools.count()


@dataclass(frozen=True)
class Backend:
    """Where sandboxes run: ``bwrap`` is the bubblewrap binary, or None for a plain child."""

    bwrap: str | None
    interpreter: str

    @property
    def isolation(self) -> str:
        return "namespaces" if self.bwrap else "subprocess"

    def command(self, limits: dict[str, int], info_fd: int | None) -> list[str]:
        """The argv that starts one sandbox child with these ``limits``."""
        if self.bwrap is None:
            return [self.interpreter, "-I", "-S", "-c", CHILD_PROGRAM, json.dumps(limits)]
        if os.geteuid() == 0:
            limits = {**limits, "uid": _fresh_uid()}
        return [
            *self._bwrap_prefix(info_fd),
            self.interpreter,
            "-I",
            "-S",
            "-c",
            CHILD_PROGRAM,
            json.dumps(limits),
        ]

    def _bwrap_prefix(self, info_fd: int | None) -> list[str]:
        assert self.bwrap is not None
        argv = [self.bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
        argv += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
        if os.geteuid() != 0:
            argv.append("--unshare-user")
        for path in _SYSTEM_DIRS:
            argv += _mirror(path)
        prefix = _interpreter_prefix(self.interpreter)
        if not prefix.startswith("/usr/"):
            argv += _parents_traversable(prefix)
            argv += ["--ro-bind", prefix, prefix]
        argv += ["--proc", "/proc", "--dev", "/dev"]
        argv += ["--perms", "1777", "--size", str(_TMP_SIZE_BYTES), "--tmpfs", "/tmp"]
        argv += ["--chdir", "/tmp", "--hostname", "sandbox"]
        if info_fd is not None:
            argv += ["--info-fd", str(info_fd)]
        return argv


def _fresh_uid() -> int:
    # A uid per sandbox, so one candidate's process count never starves another's.
    return _UID_BASE + (os.getpid() * 7919 + next(_uid_counter)) % 1_000_000


def _mirror(path: str) -> list[str]:
    """Bind a system directory read-only, or recreate it as the symlink it is (merged /usr)."""
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    if os.path.isdir(path):
        return ["--ro-bind", path, path]
    return []


def _interpreter_prefix(interpreter: str) -> str:
    """The install tree of the real interpreter (bin/ and lib/pythonX.Y under one root)."""
    return str(Path(interpreter).resolve().parent.parent)


def _parents_traversable(prefix: str) -> list[str]:
    # bubblewrap copies the mode of host parents such as /root (0700), which the dropped uid
    # could not traverse; the parents are empty directories in the sandbox, so 0755 is safe.
    argv: list[str] = []
    parents = list(Path(prefix).parents)[::-1][1:]  # without "/"
    for parent in parents:
        argv += ["--perms", "0755", "--dir", str(parent)]
    return argv


def real_interpreter() -> str:
    """The interpreter binary itself (a venv's ``python`` is a symlink into its base install)."""
    return str(Path(sys.executable).resolve())


_lock = threading.Lock()
_chosen: Backend | None = None


def current_backend() -> Backend:
    """The backend for this process, probed once; the fallback is announced once."""
    global _chosen
    with _lock:
        if _chosen is None:
            _chosen = probe_backend(shutil.which("bwrap"), real_interpreter())
        return _chosen


def probe_backend(bwrap: str | None, interpreter: str) -> Backend:
    """A bubblewrap backend if ``bwrap`` runs a probe program here, else a plain one (warned)."""
    plain = Backend(bwrap=None, interpreter=interpreter)
    if bwrap is None:
        _warn("bubblewrap (bwrap) is not installed")
        return plain
    candidate = Backend(bwrap=bwrap, interpreter=interpreter)
    problem = _probe(candidate)
    if problem is not None:
        _warn(f"bubblewrap does not work here ({problem})")
        return plain
    return candidate


def _probe(backend: Backend) -> str | None:
    """None when a sandboxed child loads code and answers a call, else what went wrong."""
    command = backend.command({"memory": 256 * 1024 * 1024}, info_fd=None)
    request = json.dumps({"code": "import os\ndef probe():\n    return os.getpid()\n"})
    request += "\n" + json.dumps([0, "probe", ["t", []]]) + "\n"
    try:
        done = subprocess.run(
            command, input=request.encode(), capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        return type(error).__name__
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if lines[:1] != ['["loaded"]'] or len(lines) < 2:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return reason[0][:200]
    try:
        pid = sandbox_child.decode(json.loads(lines[1])[2])
    except (ValueError, IndexError, TypeError):
        return "unreadable probe reply"
    return None if pid == 2 else f"not in its own PID namespace (pid {pid})"


def _warn(problem: str) -> None:
    logger.warning(
        "%s: SHAPE code runs in a plain subprocess with resource limits only "
        "(no namespaces: reduced isolation)",
        problem,
    )
