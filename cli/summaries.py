"""What swarm, batch and eval did: their summary tables and closing lines.

Errors are not scores: every score printed here is a mean over scored items only, and the
coverage (scored items out of items) and the error counts stand beside it. Coverage and errors
come from the run's latest ledger entries (``entries``: `Ledger.results_for_run`), so a resumed
run shows what the ledger holds now. A run with errors lists them grouped by cause, with the fix,
just before the line to resume with.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import typer
from rich.console import Console
from rich.table import Table

from cli.output import (
    add_model_column,
    err_console,
    fit_model_column,
    print_simulated_notice,
    say,
)
from mapelite.catalog.cost import format_usd
from mapelite.errors import EXIT_OK
from mapelite.ledger.outcomes import has_errors, scored_mean, total_coverage
from mapelite.providers.error_groups import error_report_lines, exit_code_for
from mapelite.schemas import HarnessResult
from mapelite.stats.score_intervals import ScoreInterval
from mapelite.swarm.plan import BatchResult, EvalResult, RunCost, RunOutcome, SwarmResult, unit_key

Entries = Mapping[str, HarnessResult]
"""A run's latest ledger entries by unit key."""


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def coverage_text(results: Iterable[HarnessResult]) -> str:
    """Scored items out of items, e.g. ``40/60 (67%)``; ``-`` when no item was recorded."""
    cover = total_coverage(results)
    return f"{cover.scored}/{cover.total} ({cover.fraction:.0%})" if cover.total else "-"


def errors_of(results: Iterable[HarnessResult]) -> int:
    """Harness runs with any error (the run's or an item's): not done, re-run on resume."""
    return sum(1 for result in results if has_errors(result))


def exit_if_errors(results: Collection[HarnessResult], what_next: str) -> None:
    """Exit with "completed with errors" (5) and one line on stderr when any of ``results`` has
    an error; ``what_next`` ends the line (how to run them again)."""
    code = exit_code_for(results)
    if code != EXIT_OK:
        say(
            err_console,
            f"error: completed with errors in {errors_of(results)} of {len(results)} harness "
            f"runs (missing coverage); {what_next}",
        )
        raise typer.Exit(code)


def _ci(interval: ScoreInterval | None) -> str:
    """``[low, high] n=N``: every printed score carries its 95% CI and items scored."""
    if interval is None:
        return "-"
    return f"[{interval.ci_low:.3f}, {interval.ci_high:.3f}] n={interval.n}"


def _cost_line(cost: RunCost) -> str:
    # A budget of $0.001 must not print as $0.00: as many digits as it needs.
    budget = f", budget {format_usd(cost.budget_usd)}" if cost.budget_usd is not None else ""
    return (
        f"cost: estimated {format_usd(cost.estimated_usd)}, actual {format_usd(cost.actual_usd)}"
        f" (worst case {format_usd(cost.worst_case_usd)}{budget})"
    )


def _print_tail(console: Console, result: RunOutcome, entries: Entries) -> None:
    say(console, _cost_line(result.cost))
    if result.cached_items:
        say(
            console,
            f"cached: {result.cached_items} items answered from the response cache "
            "(cost 0, not fresh measurements)",
        )
    if result.reused_items:
        say(
            console,
            f"reused: {result.reused_items} scored items from this run id's ledger entries "
            "(not paid again)",
        )
    for line in error_report_lines(entries.values()):
        say(console, f"errors: {line}")
    say(console, f"run id {result.run_id} (re-run with --run-id {result.run_id} to resume)")
    if result.simulated:
        print_simulated_notice(console)
    if result.stopped_reason:
        say(console, f"stopped: {result.stopped_reason}")


def print_swarm_summary(result: SwarmResult, console: Console, entries: Entries) -> None:
    tag = " [SIMULATED]" if result.simulated else ""
    table = Table(title=f"swarm {result.pattern} ({result.pattern_name}) on {result.tier}{tag}")
    columns = ("stage", "role", "agents", "models", "runs", "errors", "reused", "coverage")
    for column in (*columns, "score", "95% CI", "s"):
        table.add_column(column, justify="left" if column in ("role", "models") else "right")
    for stage in result.stages:
        keys = (
            unit_key(result.run_id, stage.index, agent, harness_id)
            for agent in range(stage.width)
            for harness_id in result.harness_ids
        )
        found = [entries[key] for key in keys if key in entries]
        models = ", ".join(m.split("/", 1)[-1] for m in stage.models)
        table.add_row(
            str(stage.index + 1),
            stage.role,
            str(stage.width),
            models if len(stage.models) <= 2 else f"{len(stage.models)} models",
            f"{stage.completed}/{stage.units}",
            str(errors_of(found)),
            str(stage.reused),
            coverage_text(found),
            _f(stage.mean_score),
            _ci(stage.interval),
            f"{stage.duration_s:.1f}",
        )
    console.print(table)
    best = result.best_single_agent
    last = result.stages[-1].interval if result.stages else None
    best_text = f"{_f(best.score)} {_ci(best.interval)} ({best.model})" if best else "-"
    say(
        console,
        f"swarm score {_f(result.swarm_score)} {_ci(last)}{tag}  coordination gain "
        f"{_f(result.coordination_gain)}  best single agent {best_text}  "
        f"coverage {coverage_text(entries.values())}, {errors_of(entries.values())} harness "
        f"runs with errors  ({result.duration_s:.1f}s, runner {result.runner})",
    )
    if result.models_left_out:
        say(
            console,
            f"note: {result.pattern} left out {len(result.models_left_out)} models of "
            f"{'--models' if result.tier == 'models' else 'tier ' + result.tier} (its widest "
            f"stage is narrower): {', '.join(result.models_left_out)}",
        )
    for verdict in result.verdicts.verdicts if result.verdicts else []:
        console.print(f"verdict: {verdict.sentence} (n = {verdict.n})", markup=False,
                      highlight=False, soft_wrap=True)  # fmt: skip
    _print_tail(console, result, entries)


def print_batch_summary(result: BatchResult, console: Console, entries: Entries) -> None:
    tag = " [SIMULATED]" if result.simulated else ""
    table = Table(
        title=f"batch {result.tier} x harnesses {result.harness_ids} x {result.runs}{tag}"
    )
    add_model_column(table)
    for column in ("runs", "errors", "coverage", "mean score", "95% CI"):
        table.add_column(column, justify="right")
    for row in sorted(result.per_model, key=lambda m: -(m.mean_score or 0.0)):
        own = [entry for entry in entries.values() if entry.setup == row.model]
        table.add_row(
            row.model,
            str(row.units),
            str(errors_of(own)),
            coverage_text(own),
            _f(row.mean_score),
            _ci(row.interval),
        )
    fit_model_column(table, console)
    console.print(table)
    say(
        console,
        f"{result.completed}/{result.units} harness runs, {errors_of(entries.values())} with "
        f"errors, {result.reused} reused, coverage {coverage_text(entries.values())} "
        f"({result.duration_s:.1f}s, runner {result.runner})",
    )
    _print_tail(console, result, entries)


def print_eval_summary(result: EvalResult, console: Console, entries: Entries) -> None:
    from mapelite.schemas import HARNESS_NAMES

    tag = " [SIMULATED]" if result.simulated else ""
    table = Table(title=f"eval {result.model}{tag}")
    table.add_column("harness")
    table.add_column("score", justify="right")
    table.add_column("coverage", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("n", justify="right")
    found = {entry.harness_id: entry for entry in entries.values()}
    for harness_id, entry in sorted(found.items()):
        interval = result.intervals.get(harness_id)
        table.add_row(
            f"{harness_id} {HARNESS_NAMES[harness_id]}",
            _f(scored_mean(entry)),
            coverage_text([entry]),
            "-" if interval is None else f"[{interval.ci_low:.3f}, {interval.ci_high:.3f}]",
            "-" if interval is None else str(interval.n),
        )
    console.print(table)
    items = sum(i.n for i in result.intervals.values())
    say(
        console,
        f"coverage: {len(result.scores)}/{len(HARNESS_NAMES)} harnesses, {items} items scored, "
        f"{coverage_text(found.values())} of the items asked, "
        f"{errors_of(found.values())} harness runs with errors",
    )
    if result.fitness is None:
        say(console, f"fitness: not computed (needs all {len(HARNESS_NAMES)} harnesses){tag}")
    else:
        say(
            console,
            f"fitness {result.fitness:.3f} [{_f(result.fitness_ci_low)}, "
            f"{_f(result.fitness_ci_high)}] n={items}{tag}",
        )
    _print_tail(console, result, entries)
