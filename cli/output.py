"""What commands print: one console factory, one SIMULATED notice, estimates, progress."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:  # kept out of start-up: `map-elite --help` imports this module
    from rich.table import Table

    from flows.progress import ProgressSink, StageFacts
    from mapelite.catalog.cost import CostEstimate

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


def add_model_column(table: Table, header: str = "model") -> None:
    """A column of model ids. Ids are copied, so they are never cut short with an ellipsis: a
    narrow terminal wraps one onto more lines (fold); `fit_model_column` gives the column the
    room the other columns leave."""
    table.add_column(header, overflow="fold")


def fit_model_column(table: Table, console: Console, header: str = "model") -> None:
    """Give the model column the width of its longest id, or what the other columns leave at
    their narrowest (Rich otherwise squeezes the widest column first, which is this one)."""
    from rich.text import Text

    def plain(cell: object) -> str:
        return cell.plain if isinstance(cell, Text) else str(cell)

    others = 0
    model_column = None
    for column in table.columns:
        if column.header == header:
            model_column = column
            continue
        words = [plain(column.header), *(plain(c) for c in column.cells)]
        others += max((len(w) for text in words for w in text.split()), default=1)
    if model_column is None:
        return
    longest = max((len(plain(c)) for c in model_column.cells), default=len(header))
    borders = 3 * len(table.columns) + 1
    room = console.width - others - borders
    # A fixed width: Rich then squeezes the other columns (down to their longest word) first.
    model_column.width = max(len(header), min(longest, room))


@contextlib.contextmanager
def stdout_for_json(active: bool) -> Iterator[None]:
    """With ``--json``, whatever a command prints while it works (run id, estimate, progress)
    goes to stderr, so stdout holds only the JSON printed after the block."""
    if not active:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


def print_json(data: Any) -> None:
    """One JSON document on stdout (``--json``)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_simulated_notice(console: Console) -> None:
    console.print(SIMULATED_NOTICE, style="bold yellow", markup=False, highlight=False)


def print_estimate(estimate: CostEstimate, console: Console, detect: float | None = None) -> None:
    """The estimate a run prints before its first call, with what the run can detect."""
    from mapelite.catalog.cost import format_usd

    label = " (SIMULATED models, simulated prices)" if estimate.simulated else ""
    say(
        console,
        f"cost estimate{label}: {estimate.total_calls} model calls, "
        f"~{estimate.estimated_tokens} tokens, {format_usd(estimate.estimated_cost)} "
        f"(worst case {format_usd(estimate.worst_case_cost)})",
    )
    print_price_notes(estimate, console, left_out=False)  # the swarm itself names them
    print_completion_basis(estimate, console, brief=True)
    print_detection(estimate, console, detect)


def print_completion_basis(estimate: CostEstimate, console: Console, *, brief: bool) -> None:
    """Which completion tokens priced each setup: the ledger's measurement or the prior.
    ``brief``: one line naming the setups priced from measurements (runs print it)."""
    basis = estimate.completion_basis
    if brief:
        observed = [s for s, b in basis.items() if b.observed_harnesses]
        if observed:
            say(
                console,
                f"completion tokens: measured in the ledger for {', '.join(observed)}; "
                f"the prior for {len(basis) - len(observed)} other setups",
            )
        return
    say(console, "completion tokens per item (observed in the ledger, else the prior):")
    for setup, how in basis.items():
        say(console, f"  {setup}: {how.describe()}")


def print_price_notes(estimate: CostEstimate, console: Console, *, left_out: bool = True) -> None:
    """The models a swarm leaves out (``left_out``) and the models whose price is not known in
    advance (a router prices them per request)."""
    if left_out and estimate.models_left_out:
        label = "--models" if estimate.tier == "models" else f"tier {estimate.tier}"
        given = estimate.model_count + len(estimate.models_left_out)  # model_count: those used
        say(
            console,
            f"note: {estimate.pattern} uses {estimate.model_count} of {label}'s {given} models "
            f"(its widest stage is narrower); left out: {', '.join(estimate.models_left_out)}",
        )
    if estimate.variable_price_models:
        say(
            console,
            "note: variable price (priced per request by the router, counted as $0 here): "
            + ", ".join(estimate.variable_price_models),
        )


def print_detection(estimate: CostEstimate, console: Console, detect: float | None) -> None:
    """What the run's item sample can detect (`mapelite.stats.power`), and with ``detect`` the items
    and dollars a run needs to detect that difference."""
    from mapelite.stats.power import detection_sentence, plan_detection

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

    from mapelite.catalog.cost import format_usd

    label = " (SIMULATED models, simulated prices)" if estimate.simulated else ""
    table = Table(title=f"cost estimate {estimate.pattern or ''} on {estimate.tier}{label}")
    add_model_column(table)
    table.add_column("estimated USD", justify="right")
    for model, cost in sorted(estimate.per_model_cost.items(), key=lambda kv: -kv[1]):
        table.add_row(model, f"{cost:.6f}")
    fit_model_column(table, console)
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
        f"avg {format_usd(estimate.avg_price_per_m)}/M  "
        f"estimated {format_usd(estimate.estimated_cost)}  "
        f"worst case {format_usd(estimate.worst_case_cost)}",
    )
    print_price_notes(estimate, console)
    print_completion_basis(estimate, console, brief=False)
    print_detection(estimate, console, detect)
    if estimate.simulated:
        print_simulated_notice(console)
    if estimate.warning:
        say(console, f"WARNING: {estimate.warning}")


class PlainProgress:
    """Plain lines for logs and pipes: the stage's facts at most every ``interval_s`` seconds
    while it runs, and once when it ends; notes as they come."""

    def __init__(self, console: Console, interval_s: float = 10.0) -> None:
        self.console = console
        self.interval_s = interval_s
        self._last_line: float | None = None

    def update(self, facts: StageFacts, *, stage_end: bool = False) -> None:
        now = time.monotonic()
        if stage_end:
            self._last_line = None  # the next stage starts its own interval
            say(self.console, facts.line(now))
            return
        if self._last_line is None:
            self._last_line = facts.started
        if now - self._last_line >= self.interval_s:
            self._last_line = now
            say(self.console, facts.line(now))

    def note(self, text: str) -> None:
        say(self.console, text)

    def close(self) -> None:
        pass


class RichProgress:
    """A live bar per stage: done/total, rate, ETA, spend against the estimate, errors."""

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
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}", markup=False),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._stage: tuple[StageFacts, Any] | None = None  # the stage shown by the last bar
        self._started = False

    def update(self, facts: StageFacts, *, stage_end: bool = False) -> None:
        if not self._started:
            self._bar.start()
            self._started = True
        if self._stage is None or self._stage[0] is not facts:  # a new stage: a bar of its own
            task = self._bar.add_task(facts.label, total=facts.total, stats=_stats(facts))
            self._stage = (facts, task)
        task = self._stage[1]
        self._bar.update(task, completed=facts.done, stats=_stats(facts))
        if stage_end:
            self._bar.stop_task(task)

    def note(self, text: str) -> None:
        self._bar.console.print(text, markup=False, highlight=False)

    def close(self) -> None:
        if self._started:
            self._bar.stop()
            self._started = False


def _stats(facts: StageFacts) -> str:
    """Rate, ETA, spend against the estimate and errors, as the bar shows them."""
    from flows.progress import clock

    rate = facts.rate()
    eta = facts.eta_s()
    estimate = f" of ~${facts.estimate_usd:.4f}" if facts.estimate_usd else ""
    return (
        f"{'-' if rate is None else f'{rate:.1f}'} runs/s  "
        f"ETA {'-' if eta is None else clock(eta)}  "
        f"${facts.spent_usd:.4f}{estimate}  "
        f"{facts.errors} error{'' if facts.errors == 1 else 's'}"
    )


def progress_for(console: Console) -> ProgressSink:
    """A live bar on a terminal; off one, plain lines at most every MAPELITE_PROGRESS_INTERVAL_S
    seconds (default 10) and at each stage's end."""
    from mapelite.config.settings import get_settings

    if console.is_terminal:
        return RichProgress(console)
    return PlainProgress(console, get_settings().progress_interval_s)
