"""What every flow shares: run ids, provider preflight, the budget, and running one unit
(harness run task + ledger append task) within the budget and the scheduling bound."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flows.progress import ProgressSink, current_progress
from mapelite.ledger import Ledger
from mapelite.providers import create_model_api, provider_of
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions
from mapelite.settings import Settings
from tasks.harness import failed_result, run_harness_task
from tasks.ledger import append_results_task
from tasks.limits import ensure_provider_limits, global_limits_enabled
from tasks.runtime import open_runner

_task_runs_started = 0


def task_runs_started() -> int:
    """Task runs this process has started (the embedded mode waits until they are recorded)."""
    return _task_runs_started


def _count_task_run() -> None:
    global _task_runs_started
    _task_runs_started += 1


def new_run_id() -> str:
    """Sortable and unique enough: ``20250101-120000-1a2b3c``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


async def preflight_providers(models: Iterable[str], settings: Settings) -> list[str]:
    """Build one client per provider before any request, so a missing key or unknown provider
    is one ConfigError line naming the setting. Returns the distinct providers."""
    providers: dict[str, str] = {}
    for model in models:
        providers.setdefault(provider_of(model), model)
    for model in providers.values():
        api = create_model_api(model, settings, max_connections=1)
        await api.aclose()
    return list(providers)


def scheduling_bound(providers: Iterable[str], settings: Settings) -> int:
    """How many units may be in flight at once: the sum of the providers' in-process limits.
    Units beyond it wait *before* the budget check, so the budget stops new units promptly."""
    return max(1, sum(settings.provider_limit(p) for p in set(providers)))


@dataclass
class Budget:
    """The hard budget of one run id: stops scheduling new units once the actual spend
    (including units of this run id recorded before a resume) reaches ``limit_usd``."""

    limit_usd: float
    spent_usd: float = 0.0
    skipped: int = 0
    stopped_reason: str | None = None

    def allows_more(self) -> bool:
        if self.spent_usd > 0 and self.spent_usd >= self.limit_usd:
            self.skipped += 1
            self.stopped_reason = (
                f"budget reached: spent ${self.spent_usd:.4f} of ${self.limit_usd:.4f} "
                "(--budget / MAPELITE_BUDGET_USD); later harness runs were not scheduled"
            )
            return False
        return True

    def add(self, cost_usd: float) -> None:
        self.spent_usd += cost_usd


@dataclass
class UnitExecutor:
    """Runs units as Prefect tasks awaited together in the flow's loop (asyncio.gather, not
    .map: measured ≈10× faster and the runner's clients stay on this loop)."""

    runner_key: str
    runner_name: str
    ledger_path: str
    options: HarnessRunnerOptions
    budget: Budget
    progress: ProgressSink
    bound: int
    _gate: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._gate = asyncio.Semaphore(self.bound)

    async def run(
        self, harness_id: int, model: str, context: AgentContext, seed: int | None = None
    ) -> HarnessResult | None:
        """The stored result of the unit, or None when the budget stopped it."""
        async with self._gate:
            if not self.budget.allows_more():
                return None
            update: dict[str, object] = {"context": context}
            if seed is not None:
                update["seed"] = seed
            options = self.options.model_copy(update=update)
            _count_task_run()
            try:
                result = await run_harness_task(self.runner_key, harness_id, model, options)
            except Exception as exc:
                # Model failures never raise (the runner records them); this is an
                # infrastructure fault that outlived the task retries. User errors propagate.
                from mapelite.errors import MapEliteError

                if isinstance(exc, MapEliteError):
                    raise
                result = failed_result(harness_id, model, options, self.runner_name, str(exc))
            _count_task_run()
            (stored,) = await append_results_task(self.ledger_path, [result])
            self.budget.add(stored.metadata.cost_usd)
            self.progress.advance(self.budget.spent_usd)
            return stored


@contextlib.asynccontextmanager
async def unit_session(
    run_id: str,
    models: Iterable[str],
    runner: str,
    settings: Settings,
    *,
    budget_usd: float | None,
    options: HarnessRunnerOptions,
) -> AsyncIterator[tuple[UnitExecutor, dict[str, HarnessResult]]]:
    """Everything a flow needs to run units: provider preflight, the run's recorded units (for
    resume), its budget (counting what they cost), global limits when a server is configured,
    and the runner opened in this event loop. Yields the executor and the recorded units."""
    providers = await preflight_providers(models, settings)
    recorded = await asyncio.to_thread(Ledger(settings.ledger).results_for_run, run_id)
    budget = Budget(
        limit_usd=settings.budget_usd if budget_usd is None else budget_usd,
        spent_usd=sum(r.metadata.cost_usd for r in recorded.values()),
    )
    global_limits = global_limits_enabled(settings)
    if global_limits:
        await ensure_provider_limits(providers, settings)
    progress = current_progress()
    try:
        async with open_runner(runner, settings, global_limits=global_limits) as runner_key:
            yield (
                UnitExecutor(
                    runner_key=runner_key,
                    runner_name=runner,
                    ledger_path=str(settings.ledger),
                    options=options,
                    budget=budget,
                    progress=progress,
                    bound=scheduling_bound(providers, settings),
                ),
                recorded,
            )
    finally:
        progress.close()
