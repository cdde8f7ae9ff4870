"""Progress of a run: a Rich bar on a terminal, plain lines otherwise, nothing in deployments.

Flows report to whichever sink the CLI installed with `use_progress` (flow parameters must stay
plain data, so the sink is not one of them).
"""

from __future__ import annotations

import sys
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


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


class PlainProgress:
    """Plain lines for logs and pipes: stage notes and every 10% of the harness runs."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = 0
        self.done = 0
        self._next_report = 0.0

    def start(self, total: int) -> None:
        self.total, self.done, self._next_report = total, 0, 0.1

    def note(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def advance(self, spent_usd: float) -> None:
        self.done += 1
        if self.total and (self.done / self.total >= self._next_report or self.done == self.total):
            self._next_report = self.done / self.total + 0.1
            self.note(f"harness runs {self.done}/{self.total}, spent ${spent_usd:.4f}")

    def close(self) -> None:
        pass


class RichProgress:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar = Progress(
            TextColumn("harness runs"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("spent ${task.fields[spent]:.4f}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task = self._bar.add_task("runs", total=None, spent=0.0)
        self._started = False

    def start(self, total: int) -> None:
        self._bar.update(self._task, total=total, completed=0)
        if not self._started:
            self._bar.start()
            self._started = True

    def note(self, text: str) -> None:
        self._bar.console.print(text, markup=False, highlight=False)

    def advance(self, spent_usd: float) -> None:
        self._bar.update(self._task, advance=1, spent=spent_usd)

    def close(self) -> None:
        if self._started:
            self._bar.stop()
            self._started = False


_current: ProgressSink = NullProgress()


def for_console(console: Console) -> ProgressSink:
    return RichProgress(console) if console.is_terminal else PlainProgress(console)


def use_progress(sink: ProgressSink) -> None:
    global _current
    _current = sink


def current_progress() -> ProgressSink:
    return _current


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
