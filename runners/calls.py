"""One model call as the local runner makes it: provider slot, per-call timeout, retries.

The retry loop and the connection limiting live here, once, not in the providers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from mapelite.providers.base import GenerateRequest, GenerateResponse, ModelAPI
from mapelite.providers.errors import ProviderError, ProviderTimeoutError

log = logging.getLogger("mapelite.runners.local")

MAX_BACKOFF_S = 60.0


@dataclass
class CallStats:
    """What one item's calls cost in waiting and attempts (read even when the call failed)."""

    attempts: int = 0
    queue_depth: int = 0  # largest number of calls found waiting ahead at enqueue
    wait_s: float = 0.0  # total time spent waiting for a slot
    provider_cost: bool = False  # the successful call's cost came from the provider


class ProviderSlots:
    """An asyncio limit per connection key that knows how many calls wait for it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)
        self.waiting = 0

    @asynccontextmanager
    async def hold(self, stats: CallStats) -> AsyncIterator[None]:
        depth = self.waiting if self._semaphore.locked() else 0
        stats.queue_depth = max(stats.queue_depth, depth)
        self.waiting += 1
        started = time.monotonic()
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
            stats.wait_s += time.monotonic() - started
        try:
            yield
        finally:
            self._semaphore.release()


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


class BackoffHonouringRetryAfter:
    """Exponential backoff with jitter, but never shorter than the server's Retry-After."""

    def __init__(self, base_s: float) -> None:
        self._base_s = base_s
        self._backoff = wait_exponential_jitter(multiplier=base_s, max=MAX_BACKOFF_S, jitter=base_s)

    def __call__(self, state: RetryCallState) -> float:
        backoff = self._backoff(state) if self._base_s > 0 else 0.0
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(exc, "retry_after", None) or 0.0
        return max(backoff, float(retry_after))


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    describe = exc.describe() if isinstance(exc, ProviderError) else repr(exc)
    log.info("retrying in %.2f s after attempt %d: %s", wait, state.attempt_number, describe)


async def call_with_retries(
    api: ModelAPI,
    slots: ProviderSlots,
    request: GenerateRequest,
    *,
    retries: int,
    retry_delay_s: float,
    call_timeout_s: float,
    stats: CallStats,
) -> GenerateResponse:
    """Call the model; retry retryable errors; raise the last ProviderError when spent.

    The slot is held only during the call itself: a call waiting out its backoff does not
    keep others from the provider. The first attempt runs without the retry machinery (most
    calls need no retry, and setting tenacity up costs about 0.1 ms of CPU per call).
    """
    try:
        return await _attempt(api, slots, request, call_timeout_s, stats)
    except ProviderError as exc:
        if retries <= 0 or not is_retryable(exc):
            raise
        first_failure: ProviderError | None = exc
    retrying = AsyncRetrying(
        stop=stop_after_attempt(retries + 1),
        wait=BackoffHonouringRetryAfter(retry_delay_s),
        retry=retry_if_exception(is_retryable),
        before_sleep=_log_retry,
        reraise=True,
    )
    response: GenerateResponse | None = None
    async for attempt in retrying:
        with attempt:
            if first_failure is not None:
                # Attempt 1 already ran above: replay its failure, so tenacity counts it and
                # backs off exactly as if it had made that attempt itself.
                failure, first_failure = first_failure, None
                raise failure
            response = await _attempt(api, slots, request, call_timeout_s, stats)
    assert response is not None
    return response


async def _attempt(
    api: ModelAPI,
    slots: ProviderSlots,
    request: GenerateRequest,
    call_timeout_s: float,
    stats: CallStats,
) -> GenerateResponse:
    async with slots.hold(stats):
        stats.attempts += 1
        return await _one_call(api, request, call_timeout_s)


async def _one_call(api: ModelAPI, request: GenerateRequest, timeout_s: float) -> GenerateResponse:
    try:
        async with asyncio.timeout(timeout_s):
            return await api.generate(request)
    except TimeoutError:
        raise ProviderTimeoutError(
            f"{api.provider} call exceeded the per-call timeout of {timeout_s:g} s",
            provider=api.provider,
        ) from None
