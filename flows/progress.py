"""Progress of a run: the sink the flows report to (the CLI installs one; deployments none).

Flows report to whichever sink the CLI installed with `use_progress` (flow parameters must stay
plain data, so the sink is not one of them).
"""

from __future__ import annotations

from typing import Protocol


class ProgressSink(Protocol):
    def start(self, total: int) -> None: ...
    def note(self, text: str) -> None: ...
    def advance(self, spent_usd: float) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    def start(self, total: int) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def advance(self, spent_usd: float) -> None:
        pass

    def close(self) -> None:
        pass


_current: ProgressSink = NullProgress()


def use_progress(sink: ProgressSink) -> None:
    global _current
    _current = sink


def current_progress() -> ProgressSink:
    return _current
