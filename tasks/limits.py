"""Per-provider limits across processes: Prefect global concurrency limits named after providers.

Two layers hold a provider's quota:

- in-process, always: the runner's own per-provider semaphore (exact and free; it is what a
  flow gets with no Prefect server configured);
- across flow runs and worker machines, when a Prefect server is configured (``PREFECT_API_URL``
  set): a strict global concurrency limit named after the provider (``openrouter``, ``ollama``,
  ``openai``), created with ``settings.provider_limits`` when missing and tuned afterwards with
  ``prefect gcl update openrouter --limit 12``.

The global limit is taken as a *lease*, once per stage, not once per model call. A slot costs
three API round trips (acquire, renew, release), which a SQLite-backed server serialises
(measured ≈76 ms a use under contention: 512 calls took 208 s). So before a stage the flow
acquires ``k`` slots of each provider it needs in one ``concurrency(provider, occupy=k,
strict=True)``, with ``k = min(what the stage can use at once, the limit, the slots free right
now (at least 1))``, and every model call of the stage then waits for one of ``k`` in-process
slots (`ProviderLeases`). The sum of the leases of all flow runs never exceeds the limit, so the
quota still holds across flow runs and machines, and the server sees three round trips per
stage and provider instead of per call. Taking only the slots free at that moment (instead of
waiting for the full ``k``) lets concurrent flow runs share a provider instead of queueing
behind each other; a lease is not enlarged later when slots free up. Leases are acquired in
provider-name order, so two flows needing the same providers cannot deadlock. A lease is short
and renewed while the process lives, and registered on the machine (`tasks.leases`): the slots
of a process killed with SIGKILL come back at the next lease taken on that machine, and within
75 s from any other.

``mockllm`` is exempt from global limits: it is simulated in-process and has no quota to protect.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterable, Mapping

from mapelite.config.settings import Settings
from mapelite.providers.base import ModelAPI
from runners.base import HarnessRunner
from runners.calls import CallStats, ProviderSlots

GLOBAL_LIMIT_EXEMPT = frozenset({"mockllm"})


LOCAL_API_ENV = "MAPELITE_PREFECT_LOCAL_API"  # set by flows.embedded.use_local_api


def prefect_server_configured() -> bool:
    """True when Prefect talks to a configured server (PREFECT_API_URL in env or profile);
    False on the embedded default and on the local server MAP-ELITE starts in its place (one
    process's in-process limits hold there, and a SQLite server makes leases slow)."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return bool(url) and url != os.environ.get(LOCAL_API_ENV)


def global_limits_enabled(settings: Settings) -> bool:
    """Global limits apply when a server is configured, unless MAPELITE_PREFECT_GLOBAL_LIMITS is
    false."""
    return settings.prefect_global_limits and prefect_server_configured()


def global_limit_names(providers: Iterable[str]) -> list[str]:
    return sorted({p for p in providers if p not in GLOBAL_LIMIT_EXEMPT})


async def ensure_provider_limits(providers: Iterable[str], settings: Settings) -> list[str]:
    """Create the missing global limits (DESIGN.md defaults via settings); existing ones are left
    as the user tuned them. Returns the limit names in use."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    names = global_limit_names(providers)
    async with get_client() as client:
        for name in names:
            try:
                await client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                # Another flow may create it at the same moment: either creation is fine.
                with contextlib.suppress(ObjectAlreadyExists):
                    await client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(
                            name=name, limit=settings.provider_limit(name), active=True
                        )
                    )
    return names


class ProviderLeases:
    """The slots of each provider's global limit that this flow run holds for the current stage,
    as in-process semaphores the model calls wait on."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.slots: dict[str, asyncio.Semaphore] = {}
        self.sizes: dict[str, int] = {}
        """Slots held per provider, while a lease is held."""

    @contextlib.asynccontextmanager
    async def hold(self, demand: Mapping[str, int]) -> AsyncIterator[dict[str, int]]:
        """Lease slots for ``demand`` (provider -> calls the stage can make at once) until the
        block ends; yields the slots held per provider (empty when global limits are off)."""
        names = [n for n in global_limit_names(demand) if demand[n] > 0] if self.enabled else []
        if not names:
            yield {}
            return
        from tasks.leases import short_lease

        async with contextlib.AsyncExitStack() as stack:
            for name, size in (await _lease_sizes(names, demand)).items():
                # A short lease, renewed while we live: a killed process's slots come back.
                await stack.enter_async_context(short_lease(name, size))
                self.slots[name] = asyncio.Semaphore(size)
                self.sizes[name] = size
            try:
                yield dict(self.sizes)
            finally:
                self.slots.clear()
                self.sizes.clear()

    @contextlib.asynccontextmanager
    async def call_slot(self, provider: str) -> AsyncIterator[None]:
        """One of the leased slots around one model call. Outside a lease (a call the flow did
        not announce) the call takes its own slot from the server: slower, never unlimited."""
        if not self.enabled or provider in GLOBAL_LIMIT_EXEMPT:
            yield
            return
        slots = self.slots.get(provider)
        if slots is None:
            from prefect.concurrency.asyncio import concurrency

            async with concurrency(provider, occupy=1, strict=True):
                yield
            return
        async with slots:
            yield


async def _lease_sizes(names: list[str], demand: Mapping[str, int]) -> dict[str, int]:
    """Slots to take per provider: the demand, capped by the limit and by what is free now."""
    from prefect.client.orchestration import get_client

    from tasks.leases import release_dead_holders

    sizes: dict[str, int] = {}
    async with get_client() as client:
        # First give back what dead processes of this machine held: counted as taken, their
        # slots would shrink this lease (a resume right after a kill ran one call at a time).
        await release_dead_holders(client, str(client.api_url))
        for name in names:
            limit = await client.read_global_concurrency_limit_by_name(name)
            free = max(1, limit.limit - limit.active_slots)
            sizes[name] = max(1, min(demand[name], limit.limit, free))
    return sizes


class LeasedSlots(ProviderSlots):
    """The runner's in-process slot, then one of the stage's leased slots of the provider's
    global limit. Both are waited for before the call's timeout starts, so waiting for the
    quota is recorded as queue wait, never as the model's timeout."""

    def __init__(self, limit: int, leases: ProviderLeases, provider: str) -> None:
        super().__init__(limit)
        self.leases = leases
        self.provider = provider

    @contextlib.asynccontextmanager
    async def hold(self, stats: CallStats) -> AsyncIterator[None]:
        async with super().hold(stats):
            started = time.monotonic()
            async with self.leases.call_slot(self.provider):
                stats.wait_s += time.monotonic() - started
                yield


def _leased_local_runner(settings: Settings, leases: ProviderLeases) -> HarnessRunner:
    """A LocalHarnessRunner whose every model call (each attempt; not the back-off sleeps) also
    holds a leased slot of the provider's global limit, after the in-process slot."""
    from runners.local import LocalHarnessRunner

    class LeasedLocalRunner(LocalHarnessRunner):
        def slots_for(self, api: ModelAPI) -> ProviderSlots:
            if api.provider in GLOBAL_LIMIT_EXEMPT:
                return super().slots_for(api)
            key = api.connection_key()
            if key not in self._slots:
                self._slots[key] = LeasedSlots(self.limit_for(api.provider), leases, api.provider)
            return self._slots[key]

    return LeasedLocalRunner(settings)


def create_limited_runner(name: str, settings: Settings, leases: ProviderLeases) -> HarnessRunner:
    """The runner ``name``; with global limits on, the local runner's model calls wait for the
    stage's leased slots. Remote runners (temporal, nats) make their calls in worker processes
    that do not talk to Prefect: for them the flow bounds the harness runs in flight per provider
    by the lease instead (`flows.common.UnitExecutor`)."""
    if leases.enabled and name == "local":
        return _leased_local_runner(settings, leases)
    from runners import create_runner

    return create_runner(name, settings)
