"""What the Temporal and NATS runners share: the request they ship, reachability checks,
deterministic ids, and connections kept per event loop.

Nothing here imports temporalio or nats, so `runners.create_runner` can use it cheaply.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from mapelite.errors import ConfigError
from mapelite.schemas import HarnessResult, HarnessRunnerOptions, RunnerName
from runners.base import ClosingRunner, UnitRequest

T = TypeVar("T")


def unit_identity(request: UnitRequest) -> str | None:
    """A stable identity for a request, or None when it has no run context to derive it from.

    Derived from the run id and unit key (run id, stage, agent, harness, repeat) plus the harness
    and model, so the same unit submitted twice gets the same engine id.
    """
    context = request.options.context
    if context is None:
        return None
    identity = f"{context.run_id}|{context.unit_key}|{request.harness_id}|{request.model}"
    # A re-run of a unit recorded with errors is new work, not a duplicate of the first run.
    return f"{identity}|{context.supersedes}" if context.supersedes else identity


def stable_token(*parts: str, length: int = 32) -> str:
    """A short hex token, safe as a NATS subject token and in a Temporal workflow id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def request_token(request: UnitRequest) -> str:
    identity = unit_identity(request)
    return stable_token(identity) if identity is not None else uuid.uuid4().hex


def batch_token(requests: Sequence[UnitRequest]) -> str:
    identities = [unit_identity(r) for r in requests]
    if any(i is None for i in identities):
        return uuid.uuid4().hex
    return stable_token(*sorted(i for i in identities if i is not None))


def worker_identity() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def with_engine(result: HarnessResult, runner: str, engine_id: dict[str, str]) -> HarnessResult:
    """The result as the worker returns it: runner name and engine ids in the metadata."""
    # The engine's ids replace the in-process runner's: they are what identifies this execution.
    metadata = result.metadata.model_copy(update={"runner": runner, "engine_id": dict(engine_id)})
    return result.model_copy(update={"metadata": metadata})


def host_port(address: str, default_port: int) -> tuple[str, int]:
    """``nats://h:4222``, ``h:7233`` or ``h`` -> (host, port); the first of a comma list."""
    first = address.split(",")[0].strip()
    parsed = urlsplit(first if "://" in first else f"tcp://{first}")
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def probe_tcp(
    address: str, default_port: int, *, setting: str, what: str, timeout_s: float
) -> None:
    """Fail fast, before any flow starts, when nothing listens at the configured address."""
    host, port = host_port(address, default_port)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as exc:
        raise unreachable(what, address, setting, timeout_s, exc) from None


def unreachable(
    what: str, address: str, setting: str, timeout_s: float, cause: BaseException | None = None
) -> ConfigError:
    reason = f" ({type(cause).__name__})" if cause is not None else ""
    return ConfigError(
        f"cannot reach the {what} server at {address} within {timeout_s:g} s{reason}; "
        f"start it or set {setting}"
    )


class PerLoop(Generic[T]):
    """One connection per event loop.

    Clients of both SDKs are bound to the loop that created them, and Prefect may run async
    tasks on worker threads with loops of their own, so one shared client is not enough.
    """

    def __init__(self, factory: Callable[[], Awaitable[T]]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    async def get(self) -> T:
        loop = asyncio.get_running_loop()
        value = self._values.get(loop)
        if value is not None:
            return value
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:
            value = self._values.get(loop)
            if value is None:
                value = await self._factory()
                self._values[loop] = value
            return value

    def pop_current(self) -> T | None:
        """Forget (and return) the current loop's value so the caller can close it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self._values.pop(loop, None)


def failed_result(
    request: UnitRequest, error: str, *, runner: RunnerName, timestamp: str
) -> HarnessResult:
    """A score-0 entry for a unit whose worker gave up (the batch goes on, DESIGN.md)."""
    from mapelite.results import agent_result

    return agent_result(
        request.harness_id,
        request.model,
        request.options.context,
        runner=runner,
        timestamp=timestamp,
        error=error,
        seed=request.options.seed,
    )


class ShippingRunner(ClosingRunner):
    """Base of the runners that ship harness runs to workers: `run` and `run_batch` are
    `run_many` of one or several requests, which is what a remote runner batches well."""

    name: str

    async def run(
        self, harness_id: int, model: str, options: HarnessRunnerOptions
    ) -> HarnessResult:
        [result] = await self.run_many(
            [UnitRequest(harness_id=harness_id, model=model, options=options)]
        )
        return result

    async def run_batch(
        self, harness_id: int, models: Sequence[str], options: HarnessRunnerOptions
    ) -> list[HarnessResult]:
        requests = [UnitRequest(harness_id=harness_id, model=m, options=options) for m in models]
        return await self.run_many(requests)

    async def run_many(self, requests: Sequence[UnitRequest]) -> list[HarnessResult]:
        raise NotImplementedError
