"""Live objects tasks need but must not take as arguments (unhashable, bound to an event loop).

A flow opens its runner inside its own event loop and registers it under a key; tasks receive
the key (plain data) and look the runner up. Tasks are awaited in the flow's loop, so the
runner's async clients are used on the loop that created them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from mapelite.settings import Settings
from runners.base import HarnessRunner


@dataclass
class RunnerHandle:
    runner: HarnessRunner
    unit_slot: bool
    """Whether each harness run takes a slot of the provider's Prefect global limit (remote
    runners under a configured server; the local runner takes one per model call instead)."""


_HANDLES: dict[str, RunnerHandle] = {}


@contextlib.asynccontextmanager
async def open_runner(
    name: str, settings: Settings, *, global_limits: bool = False
) -> AsyncIterator[str]:
    """Create the runner called ``name`` in the current loop; yields its key; closes it after."""
    from tasks.limits import create_limited_runner

    runner = create_limited_runner(name, settings, global_limits=global_limits)
    key = f"{name}-{uuid.uuid4().hex[:12]}"
    _HANDLES[key] = RunnerHandle(runner=runner, unit_slot=global_limits and name != "local")
    try:
        yield key
    finally:
        _HANDLES.pop(key, None)
        await runner.aclose()


def runner_handle(key: str) -> RunnerHandle:
    try:
        return _HANDLES[key]
    except KeyError:
        raise RuntimeError(f"no open runner {key!r} in this process") from None
