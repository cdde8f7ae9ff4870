"""The local HarnessRunner: providers called in-process, limited per provider.

A harness run sends all its items concurrently (the provider limit bounds them). An item whose
call failed for good (retries spent, non-retryable error, run timeout) carries its error and is
left out of the run's scores (`mapelite.ledger.outcomes`); the run's metadata names the first error;
`run_batch` never raises for model failures.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mapelite.banks import harness_for
from mapelite.catalog.models import Catalog, load_catalog
from mapelite.config.settings import Settings, get_settings
from mapelite.errors import MapEliteError
from mapelite.harnesses.base import Harness, Item
from mapelite.ledger.outcomes import scores_of
from mapelite.ledger.runid import new_run_id
from mapelite.providers import create_model_api, provider_of
from mapelite.providers.base import GenerateRequest, GenerateResponse, ModelAPI, SimulationHint
from mapelite.providers.cache import CachedResponse, ResponseCache, cache_key
from mapelite.providers.errors import ProviderError, ProviderTimeoutError
from mapelite.results import agent_result
from mapelite.schemas import (
    AgentContext,
    CostSource,
    HarnessResult,
    HarnessRunnerOptions,
    ItemOutcome,
    split_model_id,
)
from mapelite.swarm.plan import unit_key
from runners.base import ClosingRunner, UnitRequest
from runners.calls import CallStats, ProviderSlots, call_with_retries
from runners.prompts import build_messages


def estimated_cost(
    model: str, tokens_in: int, tokens_out: int, catalog: Catalog | None = None
) -> float:
    """Cost from catalog prices (the catalog in use unless given); 0 when it cannot price the
    model."""
    from mapelite.catalog.cost import call_cost_usd

    try:
        return max(0.0, float(call_cost_usd(model, tokens_in, tokens_out, catalog=catalog)))
    except MapEliteError:
        return 0.0


ScoreKey = tuple[int, str, str, str, str]


def outcome_for(item: Item, **fields: Any) -> ItemOutcome:
    """An item's outcome, naming the item's id, bank, bank version and family."""
    return ItemOutcome(
        item_id=item.id,
        bank=item.bank,
        bank_version=item.bank_version,
        family=item.family,
        **fields,
    )


class ScoreCache:
    """Scores by (harness, item, answer), each computed once per runner and event loop.

    Scorers are deterministic (`mapelite.harnesses.base.Scorer`), and many models (or a swarm's
    agents) often give the very same answer; SHAPE's scorer runs a sandbox subprocess (about
    30 ms and 16 ms of CPU per answer), worth not repeating. Concurrent requests for one key
    share one scoring. Scorers may block, so they run in a worker thread.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = capacity
        self._scores: dict[ScoreKey, asyncio.Future[float]] = {}

    async def score(self, harness_id: int, item: Item, answer: str) -> float:
        # Item ids are unique within a bank version only (a user's file may reuse "sense-01").
        key = (harness_id, item.bank, item.bank_version, item.id, answer)
        scoring = self._scores.get(key)
        if scoring is None:
            if len(self._scores) >= self.capacity:
                del self._scores[next(iter(self._scores))]  # the oldest
            scoring = asyncio.ensure_future(asyncio.to_thread(item.score, answer))
            scoring.add_done_callback(lambda done: self._forget_failed(key, done))
            self._scores[key] = scoring
        # A cancelled caller (run timeout) must not cancel the scoring others wait for.
        return await asyncio.shield(scoring)

    def _forget_failed(self, key: ScoreKey, done: asyncio.Future[float]) -> None:
        if (done.cancelled() or done.exception() is not None) and self._scores.get(key) is done:
            del self._scores[key]


@dataclass
class HarnessRun:
    """One harness run in progress: what every item call needs, and what the result is built
    from (per-item call stats, the start time)."""

    harness: Harness
    model: str
    api: ModelAPI
    options: HarnessRunnerOptions
    context: AgentContext
    catalog: Catalog
    stats: dict[str, CallStats] = field(default_factory=dict)
    started: float = 0.0  # time.monotonic() when the run starts its calls


class LocalHarnessRunner(ClosingRunner):
    name = "local"

    def __init__(
        self, settings: Settings | None = None, *, limits: dict[str, int] | None = None
    ) -> None:
        self.settings = settings or get_settings()
        self.limits = {**self.settings.provider_limits, **(limits or {})}
        self._apis: dict[str, ModelAPI] = {}
        self._slots: dict[str, ProviderSlots] = {}
        self._scores = ScoreCache()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._response_cache: ResponseCache | None = None

    # -- clients and limits ------------------------------------------------------------------

    def api_for(self, model: str) -> ModelAPI:
        """The cached client for the model's provider endpoint (ConfigError if no key)."""
        provider = provider_of(model, self.settings)
        if provider not in self._apis:
            self._apis[provider] = create_model_api(
                model, self.settings, max_connections=self.limit_for(provider)
            )
        return self._apis[provider]

    def _bind_to_running_loop(self) -> None:
        """Clients (aiohttp sessions) and slots belong to the event loop that first used them;
        a runner reused from a new loop (e.g. a second ``asyncio.run``) starts fresh ones."""
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            self._apis.clear()
            self._slots.clear()
            self._scores = ScoreCache()
        self._loop = loop

    def limit_for(self, provider: str) -> int:
        return max(1, self.limits.get(provider, self.settings.provider_limit(provider)))

    def slots_for(self, api: ModelAPI) -> ProviderSlots:
        key = api.connection_key()
        if key not in self._slots:
            self._slots[key] = ProviderSlots(self.limit_for(api.provider))
        return self._slots[key]

    @property
    def response_cache(self) -> ResponseCache:
        if self._response_cache is None:
            self._response_cache = ResponseCache.in_home(self.settings.home)
        return self._response_cache

    @staticmethod
    def _cache_key(api: ModelAPI, request: GenerateRequest, options: HarnessRunnerOptions) -> str:
        return cache_key(
            endpoint=api.endpoint(),
            model=request.model,
            messages=[(m.role, m.content) for m in request.messages],
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            seed=options.seed,
        )

    async def aclose(self) -> None:
        apis, self._apis = list(self._apis.values()), {}
        for api in apis:
            await api.aclose()

    # -- HarnessRunner -----------------------------------------------------------------------

    async def run(
        self,
        harness_id: int,
        model: str,
        options: HarnessRunnerOptions,
        *,
        catalog: Catalog | None = None,
    ) -> HarnessResult:
        """One harness run. ``catalog`` (prices, hash) defaults to the catalog in use; a batch
        reads it once for all its runs."""
        self._bind_to_running_loop()
        harness = harness_for(harness_id, options)
        api = self.api_for(model)
        run_id = new_run_id()
        context = options.context or AgentContext(
            run_id=run_id, unit_key=unit_key(run_id, 0, 0, harness_id)
        )
        catalog = catalog if catalog is not None else load_catalog()
        return await self._run(HarnessRun(harness, model, api, options, context, catalog))

    async def run_batch(
        self, harness_id: int, models: Sequence[str], options: HarnessRunnerOptions
    ) -> list[HarnessResult]:
        self._bind_to_running_loop()
        harness = harness_for(harness_id, options)  # one sample: every model answers the same
        apis = [self.api_for(model) for model in models]  # config errors before any call
        catalog = load_catalog()
        batch_id = new_run_id()
        runs = []
        for index, (model, api) in enumerate(zip(models, apis, strict=True)):
            context = options.context or AgentContext(
                run_id=batch_id, unit_key=unit_key(batch_id, 0, index, harness_id), agent=index
            )
            runs.append(self._run(HarnessRun(harness, model, api, options, context, catalog)))
        return list(await asyncio.gather(*runs))

    async def run_many(self, requests: Sequence[UnitRequest]) -> list[HarnessResult]:
        for request in requests:  # config errors before any call
            self.api_for(request.model)
        catalog = load_catalog()
        runs = (self.run(r.harness_id, r.model, r.options, catalog=catalog) for r in requests)
        return list(await asyncio.gather(*runs))

    # -- one harness run ---------------------------------------------------------------------

    async def _run(self, run: HarnessRun) -> HarnessResult:
        run.started = time.monotonic()
        options = run.options
        items = list(run.harness.items[: options.item_limit])
        run.stats = {item.id: CallStats() for item in items}
        tasks = [asyncio.create_task(self._run_item(run, item)) for item in items]
        try:
            async with asyncio.timeout(options.timeout_s):
                await asyncio.gather(*tasks)
        except TimeoutError:
            pass
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
        outcomes = []
        for item, task in zip(items, tasks, strict=True):
            if task.cancelled():
                error = ProviderTimeoutError(
                    f"harness run exceeded its timeout of {options.timeout_s:g} s",
                    provider=run.api.provider,
                )
                outcome = outcome_for(
                    item,
                    score=0.0,
                    attempts=run.stats[item.id].attempts,
                    error=error.describe(),
                )
            else:
                outcome = task.result()
            outcomes.append(outcome)
        return self._result(run, outcomes)

    async def _run_item(self, run: HarnessRun, item: Item) -> ItemOutcome:
        harness, model, api, options = run.harness, run.model, run.api, run.options
        context, catalog = run.context, run.catalog
        upstream = tuple(context.upstream_answers.get(item.id, ()))
        request = GenerateRequest(
            model=split_model_id(model)[1],
            messages=build_messages(harness, item, context.role, upstream),
            max_tokens=options.max_tokens or harness.max_tokens,
            temperature=options.temperature,
            timeout_s=options.per_call_timeout_s,
            reasoning=options.reasoning,
            hint=SimulationHint(
                harness_id=harness.id,
                item_id=item.id,
                role=context.role,
                upstream_answers=upstream,
                seed=options.seed,
                reference=item.reference,
                near_miss=item.near_miss,
            ),
        )
        item_stats = run.stats[item.id]
        started = time.monotonic()
        key = self._cache_key(api, request, options) if options.cache else None
        hit = await asyncio.to_thread(self.response_cache.get, key) if key else None
        if hit is not None:
            return await self._answered(
                harness.id,
                item,
                hit,
                started,
                cost_usd=0.0,
                attempts=0,
                cache_key=key,
                cached=True,
                cached_from=hit.entry_hash,
                original_cost_usd=hit.cost_usd,
            )
        try:
            response = await call_with_retries(
                api,
                self.slots_for(api),
                request,
                retries=options.retries,
                retry_delay_s=options.retry_delay_s,
                call_timeout_s=options.per_call_timeout_s,
                stats=item_stats,
            )
        except ProviderError as exc:
            error = exc.describe()
        except Exception as exc:  # a bug must not sink the batch; the ledger shows it
            error = f"{type(exc).__name__}: {exc}"
        else:
            cost = response.cost_usd
            item_stats.provider_cost = cost is not None
            if cost is None:
                cost = estimated_cost(model, response.tokens_in, response.tokens_out, catalog)
            return await self._answered(
                harness.id, item, response, started, cost_usd=cost, attempts=item_stats.attempts,
                cache_key=key,
            )  # fmt: skip
        return outcome_for(
            item,
            score=0.0,
            latency_s=time.monotonic() - started,
            attempts=item_stats.attempts,
            error=error,
        )

    async def _answered(
        self,
        harness_id: int,
        item: Item,
        answer: GenerateResponse | CachedResponse,
        started: float,
        **fields: Any,
    ) -> ItemOutcome:
        """The outcome of an item that got an answer (from the model or the cache), scored."""
        # Scorers may block (SHAPE runs a sandbox for seconds): keep the loop free.
        score = await self._scores.score(harness_id, item, answer.text)
        return outcome_for(
            item,
            answer=answer.text,
            score=min(1.0, max(0.0, float(score))),
            latency_s=time.monotonic() - started,
            tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out,
            **fields,
        )

    def _result(self, run: HarnessRun, outcomes: list[ItemOutcome]) -> HarnessResult:
        model, stats, catalog = run.model, run.stats, run.catalog
        failed = [o for o in outcomes if o.error is not None]
        attempts = sum(s.attempts for s in stats.values())
        error = None
        if failed:
            first = failed[0]
            error = (
                f"{first.error} (item {first.item_id} after {first.attempts} attempts; "
                f"{len(failed)} of {len(outcomes)} items failed; {attempts} attempts in all)"
            )
        tokens_in = sum(o.tokens_in for o in outcomes)
        tokens_out = sum(o.tokens_out for o in outcomes)
        simulated = catalog.is_simulated(model)
        answered = [o for o in outcomes if o.error is None]
        provider_priced = bool(answered) and all(stats[o.item_id].provider_cost for o in answered)
        cost_source: CostSource = (
            "simulated" if simulated else "provider" if provider_priced else "estimated"
        )
        scores = scores_of(outcomes)  # errors are not scores
        return agent_result(
            run.harness.id,
            model,
            run.context,
            runner="local",
            raw=scores.raw,
            normalized=scores.normalized,
            catalog=catalog,
            engine_id={"local": f"pid-{os.getpid()}"},
            items=outcomes,
            latency_s=time.monotonic() - run.started,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=sum(o.cost_usd for o in outcomes),
            cost_estimated_usd=estimated_cost(model, tokens_in, tokens_out, catalog),
            cost_source=cost_source,
            attempts=attempts,
            queue_depth=max((s.queue_depth for s in stats.values()), default=0),
            wait_s=sum(s.wait_s for s in stats.values()),
            error=error,
            catalog_hash=catalog.hash,
            seed=run.options.seed,
        )
