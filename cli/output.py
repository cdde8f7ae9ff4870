"""What commands print: one console factory, one SIMULATED notice, estimates, progress."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:  # kept out of start-up: `map-elite --help` imports this module
    from flows.progress import ProgressSink
    from mapelite.cost import CostEstimate

# Tables wider than this are rare; off a terminal (pipes, files, CI logs) Rich would otherwise
# squeeze every table into 80 columns and cut model ids to a few characters.
PIPE_WIDTH = 1000

SIMULATED_NOTICE = (
    "SIMULATED: mockllm models are offline simulations with simulated skills and prices, "
    "not real LLMs; no money is spent."
)
"""The one notice every command prints when what it shows comes from mockllm models."""


def make_console(*, stderr: bool = False) -> Console:
    """The console every command prints with: the terminal's width on a terminal; off one, wide
    enough that tables keep whole cells (unless the user set COLUMNS)."""
    stream = sys.stderr if stderr else sys.stdout
    on_terminal = stream is not None and stream.isatty()
    width = None if on_terminal or "COLUMNS" in os.environ else PIPE_WIDTH
    return Console(stderr=stderr, width=width, soft_wrap=stderr)


err_console = make_console(stderr=True)  # soft wrap: one error = one line, never wrapped


def say(console: Console, line: str) -> None:
    """One plain line: no markup, no highlighting, never wrapped (it may be copied)."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def print_simulated_notice(console: Console) -> None:
    console.print(SIMULATED_NOTICE, style="bold yellow", markup=False, highlight=False)


def print_estimate(estimate: CostEstimate, console: Console, detect: float | None = None) -> None:
    """The estimate a run prints before its first call, with what the run can detect."""
    label = " (SIMULATED models, simulated prices)" if estimate.simulated else ""
    say(
        console,
        f"cost estimate{label}: {estimate.total_calls} model calls, "
        f"~{estimate.estimated_tokens} tokens, ${estimate.estimated_cost:.4f} "
        f"(worst case ${estimate.worst_case_cost:.4f})",
    )
    print_detection(estimate, console, detect)


def print_detection(estimate: CostEstimate, console: Console, detect: float | None) -> None:
    """What the run's item sample can detect (`mapelite.power`), and with ``detect`` the items
    and dollars a run needs to detect that difference."""
    from mapelite.power import detection_sentence, plan_detection

    items = estimate.fewest_items_per_harness
    say(console, detection_sentence(items))
    if detect is None:
        return
    plan = plan_detection(detect, n_items=items, cost_usd=estimate.estimated_cost)
    cost = "" if plan.cost_usd is None else f", estimated ${plan.cost_usd:.4f}"
    say(
        console,
        f"to detect a difference of {plan.difference:g} per harness at 80% power: "
        f"{plan.items_per_harness} paired items per harness (this run has {items}){cost}",
    )


def print_estimate_table(
    estimate: CostEstimate, console: Console, detect: float | None = None
) -> None:
    """`map-elite cost-estimate`: per-model costs and the totals."""
    from rich.table import Table

    label = " (SIMULATED models, simulated prices)" if estimate.simulated else ""
    table = Table(title=f"cost estimate {estimate.pattern or ''} on {estimate.tier}{label}")
    width = max((len(m) for m in estimate.per_model_cost), default=5)
    table.add_column("model", no_wrap=True, min_width=width)
    table.add_column("estimated USD", justify="right")
    for model, cost in sorted(estimate.per_model_cost.items(), key=lambda kv: -kv[1]):
        table.add_row(model, f"{cost:.6f}")
    console.print(table)
    say(
        console,
        f"pattern {estimate.pattern}  tier {estimate.tier}  models {estimate.model_count}  "
        f"harnesses {','.join(map(str, estimate.harness_ids))}  runs {estimate.runs}",
    )
    say(
        console,
        f"calls {estimate.total_calls}  upstream answers {estimate.upstream_answers}  "
        f"tokens ~{estimate.estimated_tokens}  "
        f"avg ${estimate.avg_price_per_m:.4f}/M  estimated ${estimate.estimated_cost:.4f}  "
        f"worst case ${estimate.worst_case_cost:.4f}",
    )
    print_detection(estimate, console, detect)
    if estimate.simulated:
        print_simulated_notice(console)
    if estimate.warning:
        say(console, f"WARNING: {estimate.warning}")


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
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

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


def progress_for(console: Console) -> ProgressSink:
    """A bar on a terminal, plain lines (every 10%) off one."""
    return RichProgress(console) if console.is_terminal else PlainProgress(console)
