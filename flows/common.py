"""What every flow shares: run ids, provider preflight, the budget, and running a stage's units
as a few chunk task runs under one lease of the providers' global limits.

What a unit costs in Prefect operations (the design; see `tasks.harness` and `tasks.limits`):
one task run covers up to ``CHUNK_UNITS`` units of one provider in a stage, and each provider's
global limit is leased once per stage (three API round trips), not once per model call. A
512-unit batch is 8 task runs and one lease, instead of 1,024 task runs and 1,536 round trips.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from prefect.utilities.annotations import quote

from flows.progress import RunProgress, current_progress
from mapelite.banks import check_recorded_sample, items_for
from mapelite.catalog.cost import CostEstimate
from mapelite.catalog.models import load_catalog
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import Settings
from mapelite.errors import InvalidInputError, MapEliteError
from mapelite.ledger.chain import Ledger
from mapelite.ledger.checkpoint import check_before_run
from mapelite.ledger.outcomes import has_errors, paid_usd, reusable_items
from mapelite.ledger.runid import new_run_id
from mapelite.providers import provider_of
from mapelite.providers.preflight import preflight_endpoints
from mapelite.schemas import AgentContext, HarnessResult, HarnessRunnerOptions
from mapelite.swarm.plan import RunCost, RunPlan, check_run_id_reuse, reusable
from runners.base import UnitRequest
from tasks.budget import Budget
from tasks.harness import failed_result, run_units_task
from tasks.limits import ensure_provider_limits, global_limits_enabled
from tasks.runtime import UnitSession, open_session, unit_key_of

__all__ = ["Budget", "UnitExecutor", "new_run_id", "preflight_providers", "unit_session"]

T = TypeVar("T")

CHUNK_UNITS = 64
"""Units per task run: large enough that Prefect's per-task-run cost is noise, small enough
that the Prefect UI still shows a stage's progress and a retry re-checks few units."""

_task_runs_started = 0


def task_runs_started() -> int:
    """Task runs this process has started (the embedded mode waits until they are recorded)."""
    return _task_runs_started


def _count_task_run() -> None:
    global _task_runs_started
    _task_runs_started += 1


def single_run(options: RunOptions | None) -> RunOptions:
    """The options of a swarm or eval flow run, which runs once: ``runs`` above 1 is refused
    (`map-elite swarm|eval --runs N` starts N flow runs, each with its own run id and seed)."""
    options = options or RunOptions()
    if options.runs is not None and options.runs > 1:
        raise InvalidInputError(
            f"a swarm or eval flow run runs once, not runs={options.runs}: start one flow run "
            "per repeat (map-elite swarm|eval --runs N does)"
        )
    return options


async def preflight_providers(models: Iterable[str], settings: Settings) -> list[str]:
    """Before any paid call: a missing key or unknown provider is one ConfigError line naming
    the setting, and every distinct endpoint must answer its cheapest request and take its key
    (`mapelite.providers.preflight`; PreflightError otherwise). Returns the distinct providers."""
    endpoints = await preflight_endpoints(models, settings)
    return [endpoint.provider for endpoint in endpoints]


async def mark_killed_flow_runs(run_id: str) -> None:
    """Housekeeping, never fatal: earlier flow runs of ``run_id`` whose process was killed are
    marked Crashed (`tasks.flow_liveness`)."""
    from tasks.flow_liveness import claim_run_id

    try:
        marked = await claim_run_id(run_id)
    except Exception as exc:  # the Prefect API refused: the run itself can still go on
        logging.getLogger("mapelite.flows").warning("could not check earlier flow runs: %s", exc)
        return
    if marked:
        logging.getLogger("mapelite.flows").info(
            "marked %d earlier flow run(s) of run id %s as crashed", len(marked), run_id
        )


def scheduling_bound(providers: Iterable[str], settings: Settings) -> int:
    """How many units may be in flight at once: the sum of the providers' in-process limits.
    Units beyond it wait *before* the budget check, so the budget stops new units promptly."""
    return max(1, sum(settings.provider_limit(p) for p in set(providers)))


def chunks(units: Sequence[UnitRequest], size: int) -> list[list[UnitRequest]]:
    return [list(units[start : start + size]) for start in range(0, len(units), size)]


def unwalked(value: T) -> T:
    """``value`` wrapped in Prefect's `quote`: the task still receives ``value``, but Prefect does
    not walk it looking for futures to resolve and track (measured: ≈25 ms of CPU per task run of
    64 units; units never contain futures)."""
    return cast(T, quote(value))


@dataclass
class StageUnits:
    """A stage's units as `UnitExecutor.schedule` sorts them: reused from the ledger (by unit
    key) or pending (to run)."""

    reused: dict[str, HarnessResult] = field(default_factory=dict)
    pending: list[UnitRequest] = field(default_factory=list)


@dataclass
class UnitExecutor:
    """Runs a flow's units as chunk task runs awaited together in the flow's loop
    (asyncio.gather, not .map: measured ≈10× faster, and the runner's clients stay on this
    loop)."""

    session_key: str
    session: UnitSession
    options: HarnessRunnerOptions
    progress: RunProgress
    bound: int
    reused_items: int = 0
    """Scored items this run took from the ledger instead of paying for them again: those of
    the done units it reused whole, and those its re-run units took over."""

    @property
    def budget(self) -> Budget:
        return self.session.budget

    def schedule(
        self,
        stage: StageUnits,
        key: str,
        harness_id: int,
        model: str,
        context: Callable[[], AgentContext],
        seed: int | None = None,
    ) -> None:
        """Add unit ``key`` to ``stage``: reused when the ledger holds it done for ``model``
        (it counts as progress and is never paid for twice), else to run with ``context()``."""
        done = reusable(self.session.recorded.get(key), model)
        if done is not None:
            stage.reused[key] = done
            self.reused_items += sum(1 for item in done.metadata.items if item.scored)
            self.progress.advance(self.budget.spent_usd, error=has_errors(done), reused=True)
            return
        stage.pending.append(self.unit(harness_id, model, context(), seed))

    async def run(self, stage: StageUnits, label: str) -> dict[str, HarnessResult]:
        """Run the stage's pending units; unit key -> result of every unit reused or stored
        (units the budget stopped are absent)."""
        return {**stage.reused, **await self.run_stage(stage.pending, label)}

    def unit(
        self, harness_id: int, model: str, context: AgentContext, seed: int | None = None
    ) -> UnitRequest:
        previous = self.session.recorded.get(context.unit_key)
        run_seed = self.options.seed if seed is None else seed
        if previous is not None and previous.hash is not None and has_errors(previous):
            # A re-run pays only for what its recorded entry is missing (any runner: the items
            # travel with the request, so a remote worker needs no ledger).
            reuse = reusable_items(previous, model, run_seed)
            self.reused_items += len(reuse)
            context = context.model_copy(update={"supersedes": previous.hash, "reuse": reuse})
        options = self.options.model_copy(update={"context": context, "seed": run_seed})
        return UnitRequest(harness_id=harness_id, model=model, options=options)

    async def run_stage(self, units: Sequence[UnitRequest], label: str) -> dict[str, HarnessResult]:
        """Run ``units`` (one stage's, all independent of each other): each provider's global
        limit is leased for the whole stage, its units go in chunks of task runs. Returns unit
        key -> stored result; units the budget stopped are absent."""
        by_provider: dict[str, list[UnitRequest]] = defaultdict(list)
        for unit in units:
            by_provider[provider_of(unit.model)].append(unit)
        demand = {p: sum(self._calls_at_once(u) for u in us) for p, us in by_provider.items()}
        async with self.session.leases.hold(demand) as leased:
            outcomes = await asyncio.gather(
                *(
                    self._run_provider(f"{label} {provider}", provider_units, leased.get(provider))
                    for provider, provider_units in by_provider.items()
                ),
                return_exceptions=True,  # every part settles before a failure is raised
            )
        _raise_first(outcomes)
        keys = (unit_key_of(unit) for unit in units)
        return {key: self.session.recorded[key] for key in keys if key in self.session.recorded}

    def _calls_at_once(self, unit: UnitRequest) -> int:
        """Model calls a unit can have in flight: its items (local runner), or one harness run
        (remote runners, whose worker processes do not talk to Prefect: the lease bounds their
        harness runs in flight)."""
        if self.session.remote:
            return 1
        return len(items_for(unit.harness_id, unit.options))

    async def _run_provider(self, label: str, units: list[UnitRequest], leased: int | None) -> None:
        if not self.session.remote:
            # Local: the runner's slots and the lease bound the calls; the chunks only group.
            parts = chunks(units, CHUNK_UNITS)
            _raise_first(
                await asyncio.gather(
                    *(
                        self._run_chunk(f"{label} {i + 1}/{len(parts)}", c)
                        for i, c in enumerate(parts)
                    ),
                    return_exceptions=True,
                )
            )
            return
        # Remote: a chunk is one `run_many`, so harness runs in flight = chunks in flight x size.
        cap = leased or self.bound
        size = min(CHUNK_UNITS, cap)
        window = asyncio.Semaphore(max(1, cap // size))
        parts = chunks(units, size)

        async def windowed(index: int, chunk: list[UnitRequest]) -> None:
            async with window:
                await self._run_chunk(f"{label} {index + 1}/{len(parts)}", chunk)

        _raise_first(
            await asyncio.gather(
                *(windowed(i, c) for i, c in enumerate(parts)), return_exceptions=True
            )
        )

    async def _run_chunk(self, label: str, chunk: list[UnitRequest]) -> None:
        _count_task_run()
        try:
            await run_units_task(self.session_key, label, unwalked(chunk))
        except MapEliteError:
            raise
        except Exception:
            # Model failures never raise (the runner records them); this is an infrastructure
            # fault that outlived the task retries: its units are recorded as failed (the run
            # goes on; a resume re-runs them).
            await self._record_faults(chunk)

    async def _record_faults(self, chunk: list[UnitRequest]) -> None:
        session = self.session
        failed = [
            failed_result(u.harness_id, u.model, u.options, session.runner_name, error)
            for u in chunk
            if (error := session.faults.get(unit_key_of(u))) is not None
        ]
        session.stored(await session.appender.append_many(failed))


def _raise_first(outcomes: Sequence[object]) -> None:
    """Raise the first failure of parts awaited together, once all of them have settled (so no
    part is left running against a runner the flow is about to close). A failure here is a
    user-facing error (e.g. the ledger could not be written, which also stopped the others)."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


@contextlib.asynccontextmanager
async def unit_session(
    plan: RunPlan,
    models: Iterable[str],
    runner: str,
    settings: Settings,
    *,
    budget_usd: float | None,
    options: HarnessRunnerOptions,
    estimate_usd: float | None = None,
    preflight: bool = True,
) -> AsyncIterator[UnitExecutor]:
    """Everything a flow needs to run units, checked before its first model call: the ledger
    can take appends (path, permissions, an intact chain since its checkpoint), the providers'
    endpoints and keys, and a reused run
    id belongs to this very run. Then the run's recorded units (for resume), its budget
    (counting what they cost), global limits when a server is configured, and the runner
    opened in this event loop. Yields the executor (its session's ``recorded`` units are kept up
    to date as units are stored); on a normal exit the budget's stop reason is final.

    ``preflight=False``: the caller made the same pre-run check (`mapelite.prerun`) just
    before, as the command line does, so the endpoints are not asked twice."""
    ledger = Ledger(settings.ledger)
    if preflight:
        # Appendable, and verified since its checkpoint: a corrupt ledger is never appended to.
        await asyncio.to_thread(check_before_run, ledger)
        providers = await preflight_providers(models, settings)
    else:
        providers = sorted({provider_of(model) for model in models})
    recorded = await asyncio.to_thread(ledger.results_for_run, plan.run_id)
    check_run_id_reuse(plan, recorded)
    await mark_killed_flow_runs(plan.run_id)

    check_recorded_sample(plan.run_id, recorded, options)
    budget = Budget(
        limit_usd=settings.budget_usd if budget_usd is None else budget_usd,
        spent_usd=sum(paid_usd(r) for r in recorded.values()),
    )
    global_limits = global_limits_enabled(settings)
    if global_limits:
        await ensure_provider_limits(providers, settings)
    progress = RunProgress(current_progress())
    progress.start(estimate_usd, budget.spent_usd)
    try:
        async with open_session(
            runner,
            settings,
            budget=budget,
            recorded=recorded,
            bound=scheduling_bound(providers, settings),
            global_limits=global_limits,
            on_stored=lambda result: progress.advance(budget.spent_usd, error=has_errors(result)),
        ) as (session_key, session):
            yield UnitExecutor(
                session_key=session_key,
                session=session,
                options=options,
                progress=progress,
                bound=scheduling_bound(providers, settings),
            )
            budget.finish()
    finally:
        progress.close()


def outcome(
    run_id: str,
    runner: str,
    started: float,
    estimate: CostEstimate,
    budget: Budget,
    models: Iterable[str],
    results: Iterable[HarnessResult] = (),
    reused_items: int = 0,
) -> dict[str, Any]:
    """The fields every run's result shares (`mapelite.swarm.plan.RunOutcome`): ``started`` is the
    run's `time.monotonic()` at its start; simulated when any of ``models`` is, as the catalog
    says; ``results`` (the run's) count its items answered from the response cache;
    ``reused_items``: `UnitExecutor.reused_items`."""
    catalog = load_catalog()
    return {
        "run_id": run_id,
        "runner": runner,
        "duration_s": time.monotonic() - started,
        "cost": run_cost(estimate, budget),
        "simulated": any(catalog.is_simulated(m) for m in models),
        "complete": budget.stopped_reason is None,
        "stopped_reason": budget.stopped_reason,
        "cached_items": sum(i.cached for r in results for i in r.metadata.items),
        "reused_items": reused_items,
    }


def run_cost(estimate: CostEstimate, budget: Budget) -> RunCost:
    """What a run was estimated to cost and what it spent, against its budget."""
    return RunCost(
        estimated_usd=estimate.estimated_cost,
        worst_case_usd=estimate.worst_case_cost,
        actual_usd=budget.spent_usd,
        budget_usd=budget.limit_usd,
    )
