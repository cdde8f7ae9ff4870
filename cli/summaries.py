"""What swarm, batch and eval did: their summary tables and closing lines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cli.output import print_simulated_notice, say
from mapelite.score_intervals import ScoreInterval
from mapelite.swarm import BatchResult, EvalResult, RunCost, SwarmResult
from tasks.budget import usd


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(interval: ScoreInterval | None) -> str:
    """``[low, high] n=N``: every printed score carries its 95% CI and items scored."""
    if interval is None:
        return "-"
    return f"[{interval.ci_low:.3f}, {interval.ci_high:.3f}] n={interval.n}"


def _cost_line(cost: RunCost) -> str:
    # A budget of $0.001 must not print as $0.00: as many digits as it has (up to 6).
    budget = f", budget {usd(cost.budget_usd)}" if cost.budget_usd is not None else ""
    return (
        f"cost: estimated ${cost.estimated_usd:.4f}, actual ${cost.actual_usd:.4f}"
        f" (worst case ${cost.worst_case_usd:.4f}{budget})"
    )


def _print_tail(
    console: Console, run_id: str, cost: RunCost, simulated: bool, stopped: str | None
) -> None:
    say(console, _cost_line(cost))
    say(console, f"run id {run_id} (re-run with --run-id {run_id} to resume)")
    if simulated:
        print_simulated_notice(console)
    if stopped:
        say(console, f"stopped: {stopped}")


def print_swarm_summary(result: SwarmResult, console: Console) -> None:
    tag = " [SIMULATED]" if result.simulated else ""
    table = Table(title=f"swarm {result.pattern} ({result.pattern_name}) on {result.tier}{tag}")
    columns = ("stage", "role", "agents", "models", "runs", "failed", "reused", "score", "95% CI",
               "s")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("role", "models") else "right")
    for stage in result.stages:
        models = ", ".join(m.split("/", 1)[-1] for m in stage.models)
        table.add_row(
            str(stage.index + 1),
            stage.role,
            str(stage.width),
            models if len(stage.models) <= 2 else f"{len(stage.models)} models",
            f"{stage.completed}/{stage.units}",
            str(stage.failed),
            str(stage.reused),
            _f(stage.mean_score),
            _ci(stage.interval),
            f"{stage.duration_s:.1f}",
        )
    console.print(table)
    best = result.best_single_agent
    last = result.stages[-1].interval if result.stages else None
    best_text = f"{_f(best.score)} {_ci(best.interval)} ({best.model})" if best else "-"
    console.print(
        f"swarm score {_f(result.swarm_score)} {_ci(last)}{tag}  coordination gain "
        f"{_f(result.coordination_gain)}  best single agent {best_text}  "
        f"({result.duration_s:.1f}s, runner {result.runner})",
        markup=False,
        highlight=False,
    )
    for verdict in result.verdicts.verdicts if result.verdicts else []:
        console.print(f"verdict: {verdict.sentence} (n = {verdict.n})", markup=False,
                      highlight=False, soft_wrap=True)  # fmt: skip
    _print_tail(console, result.run_id, result.cost, result.simulated, result.stopped_reason)


def print_batch_summary(result: BatchResult, console: Console) -> None:
    tag = " [SIMULATED]" if result.simulated else ""
    table = Table(
        title=f"batch {result.tier} x harnesses {result.harness_ids} x {result.runs}{tag}"
    )
    for column in ("model", "runs", "failed", "mean score", "95% CI"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in sorted(result.per_model, key=lambda m: -(m.mean_score or 0.0)):
        table.add_row(
            row.model, str(row.units), str(row.failed), _f(row.mean_score), _ci(row.interval)
        )
    console.print(table)
    console.print(
        f"{result.completed}/{result.units} harness runs, {result.failed} failed, "
        f"{result.reused} reused ({result.duration_s:.1f}s, runner {result.runner})",
        markup=False,
        highlight=False,
    )
    _print_tail(console, result.run_id, result.cost, result.simulated, result.stopped_reason)


def print_eval_summary(result: EvalResult, console: Console) -> None:
    from mapelite.schemas import HARNESS_NAMES

    tag = " [SIMULATED]" if result.simulated else ""
    table = Table(title=f"eval {result.model}{tag}")
    table.add_column("harness")
    table.add_column("score", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("n", justify="right")
    for harness_id, score in sorted(result.scores.items()):
        failed = " (failed)" if harness_id in result.failed else ""
        interval = result.intervals.get(harness_id)
        table.add_row(
            f"{harness_id} {HARNESS_NAMES[harness_id]}",
            f"{score:.3f}{failed}",
            "-" if interval is None else f"[{interval.ci_low:.3f}, {interval.ci_high:.3f}]",
            "-" if interval is None else str(interval.n),
        )
    console.print(table)
    items = sum(i.n for i in result.intervals.values())
    say(console, f"coverage: {len(result.scores)}/{len(HARNESS_NAMES)} harnesses, {items} items")
    if result.fitness is None:
        say(console, f"fitness: not computed (needs all {len(HARNESS_NAMES)} harnesses){tag}")
    else:
        say(
            console,
            f"fitness {result.fitness:.3f} [{_f(result.fitness_ci_low)}, "
            f"{_f(result.fitness_ci_high)}] n={items}{tag}",
        )
    _print_tail(console, result.run_id, result.cost, result.simulated, result.stopped_reason)
