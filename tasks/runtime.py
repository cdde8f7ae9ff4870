"""Live objects tasks need but must not take as arguments (unhashable, bound to an event loop).

A flow opens its unit session (runner, ledger appender, budget, leases) inside its own event
loop and registers it under a key; tasks receive the key (plain data) and look the session up.
Tasks are awaited in the flow's loop, so the runner's async clients are used on the loop that
created them.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from mapelite.config.settings import Settings
from mapelite.providers.cache import ResponseCache
from mapelite.schemas import HarnessResult
from mapelite.swarm.plan import is_done
from runners.base import HarnessRunner, UnitRequest
from tasks.budget import Budget
from tasks.ledger import LedgerAppender
from tasks.limits import ProviderLeases, create_limited_runner


@dataclass
class UnitSession:
    """What the units of one flow run share while it runs."""

    runner: HarnessRunner
    runner_name: str
    appender: LedgerAppender
    budget: Budget
    leases: ProviderLeases
    gate: asyncio.Semaphore
    """Units in flight at once (local runner). Units beyond it wait *before* the budget check,
    so the budget stops new units promptly."""
    recorded: dict[str, HarnessResult]
    """Unit key -> latest stored result of this run id: from the ledger at start, then every
    result appended since. What makes a retried or resumed task skip finished units."""
    on_stored: Callable[[HarnessResult], None] = lambda _: None
    faults: dict[str, str] = field(default_factory=dict)
    """Unit key -> error of units whose runner raised (an infrastructure fault) and that have
    not succeeded since."""
    halted: str | None = None
    """Why no unit may start any more (the ledger could not be written), once that happened."""

    @property
    def remote(self) -> bool:
        return self.runner_name != "local"

    def is_done(self, unit: UnitRequest) -> bool:
        return is_done(self.recorded.get(unit_key_of(unit)))

    def halt(self, reason: str) -> None:
        """Stop scheduling units: the first reason is kept (later failures repeat it)."""
        if self.halted is None:
            self.halted = reason

    def stored(self, results: list[HarnessResult]) -> None:
        for result in results:
            key = result.metadata.unit_key
            if key is not None:
                self.recorded[key] = result
                self.faults.pop(key, None)
            self.on_stored(result)


def unit_key_of(unit: UnitRequest) -> str:
    context = unit.options.context
    if context is None:
        raise ValueError("a flow unit needs an AgentContext with its unit key")
    return context.unit_key


_SESSIONS: dict[str, UnitSession] = {}


@contextlib.asynccontextmanager
async def open_session(
    runner_name: str,
    settings: Settings,
    *,
    budget: Budget,
    recorded: dict[str, HarnessResult],
    bound: int,
    global_limits: bool,
    on_stored: Callable[[HarnessResult], None],
) -> AsyncIterator[tuple[str, UnitSession]]:
    """Create the runner in the current loop and register the session; yields its key and the
    session; closes the runner after."""
    leases = ProviderLeases(enabled=global_limits)
    runner = create_limited_runner(runner_name, settings, leases)
    session = UnitSession(
        runner=runner,
        runner_name=runner_name,
        appender=LedgerAppender(settings.ledger, ResponseCache.in_home(settings.home)),
        budget=budget,
        leases=leases,
        gate=asyncio.Semaphore(bound),
        recorded=recorded,
        on_stored=on_stored,
    )
    key = f"{runner_name}-{uuid.uuid4().hex[:12]}"
    _SESSIONS[key] = session
    try:
        yield key, session
    finally:
        _SESSIONS.pop(key, None)
        await runner.aclose()


def unit_session(key: str) -> UnitSession:
    try:
        return _SESSIONS[key]
    except KeyError:
        raise RuntimeError(f"no open unit session {key!r} in this process") from None
