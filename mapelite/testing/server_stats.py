"""What a ModelServer counts per model: requests, concurrency, billing and a log of arrivals."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestLog:
    """Logged at arrival; ``status`` is filled in when the answer goes out (499: client left)."""

    arrival_s: float  # time.monotonic() at arrival
    key: str  # hash of the messages: a retry of a call has the same key
    headers: dict[str, str]  # attribution headers only; credentials are never kept
    status: int = 0  # 0 while in flight
    fault: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    """The request's reasoning, routing and budget fields as sent (``reasoning``,
    ``reasoning_effort``, ``think``, ``provider``, ``max_tokens``, ``options``)."""
    billed_usd: float = 0.0
    finish_reason: str | None = None
    served_by: str | None = None


@dataclass
class ModelStats:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    log: list[RequestLog] = field(default_factory=list)
    first_arrival_s: float | None = None  # time.monotonic(): one clock for every local process
    last_done_s: float | None = None
    billed_usd: float = 0.0  # usage.cost of every reply sent (empty, cut-off ones included)
    rate_limited: int = 0  # requests refused by the model's rate window

    def answered(self) -> list[RequestLog]:
        return [entry for entry in self.log if entry.status == 200]

    def busiest_window(self, window_s: float) -> int:
        """The most requests accepted (answered 200) within any ``window_s`` seconds."""
        times = sorted(entry.arrival_s for entry in self.answered())
        most, start = 0, 0
        for end, arrival in enumerate(times):
            while arrival - times[start] >= window_s:
                start += 1
            most = max(most, end - start + 1)
        return most


class RateWindows:
    """Accepted arrival times per rate group (the caller holds the server's lock)."""

    def __init__(self) -> None:
        self._accepted: dict[str, deque[float]] = {}

    def admit(self, group: str, requests: int, window_s: float, arrival_s: float) -> float | None:
        """None when a request arriving at ``arrival_s`` fits ``requests`` per ``window_s``
        (it is then counted), else the seconds until it would."""
        accepted = self._accepted.setdefault(group, deque())
        while accepted and arrival_s - accepted[0] >= window_s:
            accepted.popleft()
        if len(accepted) >= requests:
            return accepted[0] + window_s - arrival_s
        accepted.append(arrival_s)
        return None

    def clear(self) -> None:
        self._accepted.clear()
