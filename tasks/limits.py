"""Per-provider limits across processes: Prefect global concurrency limits named after providers.

Two layers hold a provider's quota:

- in-process, always: the runner's own per-provider semaphore (exact and free; it is what a
  flow gets with no Prefect server configured);
- across flow runs and worker machines, when a Prefect server is configured (``PREFECT_API_URL``
  set): a strict global concurrency limit named after the provider (``openrouter``, ``ollama``,
  ``openai``), created with ``settings.provider_limits`` when missing and tuned afterwards with
  ``prefect gcl update openrouter --limit 12``. Only the model call holds a slot (not the task's
  retry back-off nor the ledger write), unlike a tag limit that holds it for the whole task run.

``mockllm`` is exempt from global limits: it is simulated in-process and has no quota to protect,
and a global limit costs three API round trips per use.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

from mapelite.providers.base import GenerateRequest, GenerateResponse, ModelAPI
from mapelite.settings import Settings
from runners.base import HarnessRunner

GLOBAL_LIMIT_EXEMPT = frozenset({"mockllm"})


def prefect_server_configured() -> bool:
    """True when Prefect talks to a configured server (PREFECT_API_URL in env or profile);
    False on the embedded (ephemeral) default."""
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def global_limits_enabled(settings: Settings) -> bool:
    """Global limits apply when a server is configured, unless MAPELITE_PREFECT_GLOBAL_LIMITS is
    false (measured: on a SQLite-backed server each slot's three API round trips make limited
    calls 17-50x slower; a Postgres-backed server is what scale-out needs anyway)."""
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


@contextlib.asynccontextmanager
async def provider_slot(provider: str, enabled: bool) -> AsyncIterator[None]:
    """Hold one slot of the provider's global limit around one model call (no-op when global
    limits are off or the provider is exempt). ``strict=True``: a missing limit is an error,
    never a silent pass."""
    if not enabled or provider in GLOBAL_LIMIT_EXEMPT:
        yield
        return
    from prefect.concurrency.asyncio import concurrency

    async with concurrency(provider, occupy=1, strict=True):
        yield


def _limited_local_runner(settings: Settings) -> HarnessRunner:
    """A LocalHarnessRunner whose every model call (each attempt; not the back-off sleeps) also
    holds a slot of the provider's global limit, after the in-process slot.

    Note: the runner's per-call timeout includes the wait for the global slot, so a global limit
    far below the demand shows up as timeouts (and retries) rather than as an endless queue.
    """
    from runners.local import LocalHarnessRunner

    class GloballyLimitedLocalRunner(LocalHarnessRunner):
        def api_for(self, model: str) -> ModelAPI:
            api = super().api_for(model)
            return api if api.provider in GLOBAL_LIMIT_EXEMPT else GloballyLimitedAPI(api)

    return GloballyLimitedLocalRunner(settings)


class GloballyLimitedAPI(ModelAPI):
    """Wraps a provider client: one global-limit slot per call."""

    def __init__(self, inner: ModelAPI) -> None:
        self.inner = inner
        self.provider = inner.provider

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        async with provider_slot(self.provider, enabled=True):
            return await self.inner.generate(request)

    def connection_key(self) -> str:
        return self.inner.connection_key()

    async def aclose(self) -> None:
        await self.inner.aclose()


def create_limited_runner(name: str, settings: Settings, *, global_limits: bool) -> HarnessRunner:
    """The runner ``name``; with ``global_limits`` the local runner takes a global slot per model
    call. Remote runners (temporal, nats) make their calls in worker processes that do not talk
    to Prefect, so for them the flow's task takes one slot per harness run instead
    (`tasks.harness.run_harness_task`): it bounds concurrent harness runs per provider."""
    if global_limits and name == "local":
        return _limited_local_runner(settings)
    from runners import create_runner

    return create_runner(name, settings)
