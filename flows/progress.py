"""Progress of a run: the facts the flows report, and the sink that shows them (the CLI installs
one: a bar on a terminal, throttled lines off one; deployments the null sink).

Flows report to whichever sink the CLI installed with `use_progress` (flow parameters must stay
plain data, so the sink is not one of them). `current_progress` wraps it in a `RunProgress`
that keeps the facts — per stage: done/total, rate, ETA, errors; per run: spend against the
estimate — so every sink shows the same numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class StageFacts:
    """One stage's progress as a sink shows it. ``reused`` units (done before a resume) count
    as done but not towards the rate, which measures this run's own pace."""

    label: str
    total: int
    done: int = 0
    reused: int = 0
    errors: int = 0
    spent_usd: float = 0.0
    estimate_usd: float | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    def elapsed_s(self, now: float | None = None) -> float:
        end = self.ended if self.ended is not None else (now or time.monotonic())
        return max(0.0, end - self.started)

    def rate(self, now: float | None = None) -> float | None:
        """Units per second run (not reused) in this stage so far; None before the first."""
        fresh = self.done - self.reused
        elapsed = self.elapsed_s(now)
        return fresh / elapsed if fresh > 0 and elapsed > 0 else None

    def eta_s(self, now: float | None = None) -> float | None:
        """Seconds until the stage is done at the current rate; None while unknown."""
        if self.done >= self.total:
            return 0.0
        rate = self.rate(now)
        return (self.total - self.done) / rate if rate else None

    def line(self, now: float | None = None) -> str:
        """The facts as one plain line (logs, pipes, CI)."""
        rate = self.rate(now)
        eta = self.eta_s(now)
        estimate = f" of ~${self.estimate_usd:.4f} estimated" if self.estimate_usd else ""
        return (
            f"{self.label}: {self.done}/{self.total} harness runs, "
            f"{'-' if rate is None else f'{rate:.1f}'} runs/s, "
            f"ETA {'-' if eta is None else clock(eta)}, "
            f"spent ${self.spent_usd:.4f}{estimate}, "
            f"{self.errors} error{'' if self.errors == 1 else 's'}"
        )


def clock(seconds: float) -> str:
    """``0:07``, ``12:30``, ``1:02:03``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressSink(Protocol):
    def update(self, facts: StageFacts, *, stage_end: bool = False) -> None: ...
    def note(self, text: str) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    def update(self, facts: StageFacts, *, stage_end: bool = False) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


LOG_INTERVAL_S = 30.0
"""A running stage's facts go to the flow run's logs at most this often (and at its end): the
Prefect UI shows a deployment's progress, without a log line per unit."""


class RunProgress:
    """What the flows call: keeps the facts of the run's current stage, passes them on to the
    sink, and logs them to the flow run (`flows.publish.log_run`)."""

    def __init__(self, sink: ProgressSink, clock_fn: Callable[[], float] = time.monotonic):
        self.sink = sink
        self._clock = clock_fn
        self._logged = 0.0
        self.estimate_usd: float | None = None
        self.spent_usd = 0.0
        self.stage_facts: StageFacts | None = None

    def start(self, estimate_usd: float | None, spent_usd: float = 0.0) -> None:
        """The run's estimate, and what it spent before (a resume)."""
        self.estimate_usd, self.spent_usd = estimate_usd, spent_usd

    def stage(self, label: str, total: int) -> None:
        """A new stage of ``total`` units (an unfinished one ends first)."""
        self.end_stage()
        self.stage_facts = StageFacts(
            label=label,
            total=total,
            spent_usd=self.spent_usd,
            estimate_usd=self.estimate_usd,
            started=self._clock(),
        )
        self._logged = self.stage_facts.started
        self.sink.update(self.stage_facts)

    def advance(self, spent_usd: float, *, error: bool = False, reused: bool = False) -> None:
        self.spent_usd = spent_usd
        facts = self.stage_facts
        if facts is None:
            return
        facts.done += 1
        facts.reused += reused
        facts.errors += error
        facts.spent_usd = spent_usd
        self.sink.update(facts)
        now = self._clock()
        if now - self._logged >= LOG_INTERVAL_S:
            self._logged = now
            _log(facts.line(now))

    def end_stage(self) -> None:
        facts = self.stage_facts
        if facts is None or facts.ended is not None:
            return
        facts.ended = self._clock()
        self.sink.update(facts, stage_end=True)
        _log(facts.line(facts.ended))

    def note(self, text: str) -> None:
        self.sink.note(text)

    def close(self) -> None:
        self.end_stage()
        self.sink.close()


def _log(line: str) -> None:
    from flows.publish import log_run

    log_run(line)


_current: ProgressSink = NullProgress()


def use_progress(sink: ProgressSink) -> None:
    global _current
    _current = sink


def current_progress() -> ProgressSink:
    """The sink the CLI installed (`NullProgress` when none, e.g. a deployment's flow run)."""
    return _current
