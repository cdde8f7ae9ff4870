"""One model call as the local runner makes it: provider slot, per-call timeout, retries.

The retry loop and the connection limiting live here, once, not in the providers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from mapelite.config.settings import Settings
from mapelite.providers.base import GenerateRequest, GenerateResponse, ModelAPI
from mapelite.providers.errors import ProviderError, ProviderTimeoutError, RateLimitedError
from mapelite.providers.openrouter import FREE_MODEL_RATE_LIMIT

log = logging.getLogger("mapelite.runners.local")

MAX_BACKOFF_S = 60.0


@dataclass
class CallStats:
    """What one item's calls cost in waiting and attempts (read even when the call failed)."""

    attempts: int = 0
    queue_depth: int = 0  # largest number of calls found waiting ahead at enqueue
    wait_s: float = 0.0  # total time spent waiting for a slot or a request window
    provider_cost: bool = False  # the successful call's cost came from the provider
    billed: list[GenerateResponse] = field(default_factory=list)
    """Usage of attempts that were generated (so billed) but refused, e.g. an empty answer."""


class ProviderSlots:
    """An asyncio limit per connection key that knows how many calls wait for it, and that
    backs off under a storm of 429s: each burst of rate-limit refusals halves the calls
    allowed at once (down to 1); a run of successes raises it again, one at a time, up to the
    configured limit. Both moves are logged."""

    def __init__(self, limit: int, *, name: str = "") -> None:
        self.limit = limit
        self.allowed = limit
        self.name = name
        self.active = 0
        self.waiting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._since_cut = limit  # calls finished since `allowed` was last lowered
        self._streak = 0  # successes in a row

    @asynccontextmanager
    async def hold(self, stats: CallStats) -> AsyncIterator[None]:
        depth = self.waiting if self.active >= self.allowed else 0
        stats.queue_depth = max(stats.queue_depth, depth)
        self.waiting += 1
        started = time.monotonic()
        try:
            await self._acquire()
        finally:
            self.waiting -= 1
            stats.wait_s += time.monotonic() - started
        try:
            yield
        finally:
            self.active -= 1
            self._wake()

    async def _acquire(self) -> None:
        if self.active < self.allowed and not self._waiters:
            self.active += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # the slot was handed over: give it back
                self.active -= 1
                self._wake()
            else:
                self._waiters.remove(turn)
            raise

    def _wake(self) -> None:
        while self._waiters and self.active < self.allowed:
            turn = self._waiters.popleft()
            if not turn.done():
                self.active += 1  # handed over: the waiter owns it when it wakes
                turn.set_result(None)

    def rate_limited(self) -> None:
        """A call was refused with 429: halve the calls allowed at once, at most once per
        round of the calls that were in flight."""
        self._since_cut += 1
        self._streak = 0
        if self.allowed <= 1 or self._since_cut < self.allowed:
            return
        lowered = max(1, self.allowed // 2)
        log.warning(
            "%s refuses requests (429): concurrency lowered from %d to %d",
            self.name or "provider",
            self.allowed,
            lowered,
        )
        self.allowed, self._since_cut = lowered, 0

    def succeeded(self) -> None:
        """A call succeeded: after two rounds of successes in a row, allow one more call at
        once (up to the limit)."""
        self._since_cut += 1
        self._streak += 1
        if self.allowed >= self.limit or self._streak < 2 * self.allowed:
            return
        self.allowed, self._streak = self.allowed + 1, 0
        log.info(
            "%s: concurrency climbs back to %d of %d",
            self.name or "provider",
            self.allowed,
            self.limit,
        )
        self._wake()


class RequestWindow:
    """At most ``requests`` calls sent in any ``window_s`` seconds, for every call of the
    process that shares it (loop- and thread-safe: one window may serve runners on several
    event loops). A call waits for its turn before it is sent, so the server never has to
    refuse; the window is kept a little longer than configured (`PACING_MARGIN`) so that
    jitter between sending and arrival cannot put one call too many into a server's window."""

    def __init__(self, requests: int, window_s: float) -> None:
        self.requests = requests
        self.window_s = window_s
        self.span_s = window_s * (1 + PACING_MARGIN) + PACING_SLACK_S
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    async def wait_turn(self) -> float:
        """Wait until a call may be sent, and count it as sent now; returns the seconds
        waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.span_s:
                    self._sent.popleft()
                if len(self._sent) < self.requests:
                    self._sent.append(now)
                    return waited
                delay = self._sent[0] + self.span_s - now
            await asyncio.sleep(delay)
            waited += delay


PACING_MARGIN = 0.05
PACING_SLACK_S = 0.05
_windows: dict[tuple[str, int, float], RequestWindow] = {}
_windows_lock = threading.Lock()


def request_window(key: str, requests: int, window_s: float) -> RequestWindow:
    """The process-wide window named ``key`` (e.g. ``openrouter:free``, account-wide)."""
    with _windows_lock:
        window = _windows.get((key, requests, window_s))
        if window is None:
            window = _windows[(key, requests, window_s)] = RequestWindow(requests, window_s)
        return window


def request_windows(model: str, provider: str, settings: Settings) -> tuple[RequestWindow, ...]:
    """The request windows a call of ``model`` waits for: its endpoint's and its own from the
    config file; an OpenRouter ``:free`` model without one of its own gets OpenRouter's
    documented free limit, account-wide (every free model shares one window)."""
    windows = []
    endpoint = settings.endpoints.get(provider)
    if endpoint is not None and endpoint.rate_limit is not None:
        limit = endpoint.rate_limit
        windows.append(request_window(f"endpoint:{provider}", limit.requests, limit.window_s))
    config = settings.model_settings(model)
    if config is not None and config.rate_limit is not None:
        limit = config.rate_limit
        windows.append(request_window(f"model:{model}", limit.requests, limit.window_s))
    elif provider == "openrouter" and model.endswith(":free"):
        limit = FREE_MODEL_RATE_LIMIT
        windows.append(request_window("openrouter:free", limit.requests, limit.window_s))
    return tuple(windows)


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
    windows: Sequence[RequestWindow] = (),
) -> GenerateResponse:
    """Call the model; retry retryable errors; raise the last ProviderError when spent.

    Each attempt waits for its turn in every request window of the call (``windows``) before
    it is sent. An attempt refused after it was generated (``ProviderError.billed``) is counted
    in ``stats.billed``: it was paid for.

    The slot is held only during the call itself: a call waiting out its backoff does not
    keep others from the provider. The first attempt runs without the retry machinery (most
    calls need no retry, and setting tenacity up costs about 0.1 ms of CPU per call).
    """
    try:
        return await _attempt(api, slots, request, call_timeout_s, stats, windows)
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
            response = await _attempt(api, slots, request, call_timeout_s, stats, windows)
    assert response is not None
    return response


async def _attempt(
    api: ModelAPI,
    slots: ProviderSlots,
    request: GenerateRequest,
    call_timeout_s: float,
    stats: CallStats,
    windows: Sequence[RequestWindow],
) -> GenerateResponse:
    async with slots.hold(stats):
        for window in windows:
            stats.wait_s += await window.wait_turn()
        stats.attempts += 1
        try:
            response = await _one_call(api, request, call_timeout_s)
        except RateLimitedError:
            slots.rate_limited()
            raise
        except ProviderError as exc:
            if exc.billed is not None:
                stats.billed.append(exc.billed)
            raise
        slots.succeeded()
        return response


async def _one_call(api: ModelAPI, request: GenerateRequest, timeout_s: float) -> GenerateResponse:
    try:
        async with asyncio.timeout(timeout_s):
            return await api.generate(request)
    except TimeoutError:
        raise ProviderTimeoutError(
            f"{api.provider} call exceeded the per-call timeout of {timeout_s:g} s",
            provider=api.provider,
        ) from None
