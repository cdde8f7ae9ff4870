"""What swarm, batch and eval did: their summary tables and closing lines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cli.output import add_model_column, fit_model_column, print_simulated_notice, say
from mapelite.cost import format_usd
from mapelite.swarm import BatchResult, EvalResult, RunCost, SwarmResult


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _cost_line(cost: RunCost) -> str:
    # A budget of $0.001 must not print as $0.00: as many digits as it needs.
    budget = f", budget {format_usd(cost.budget_usd)}" if cost.budget_usd is not None else ""
    return (
        f"cost: estimated {format_usd(cost.estimated_usd)}, actual {format_usd(cost.actual_usd)}"
        f" (worst case {format_usd(cost.worst_case_usd)}{budget})"
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
    for column in ("stage", "role", "agents", "models", "runs", "failed", "reused", "score", "s"):
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
            f"{stage.duration_s:.1f}",
        )
    console.print(table)
    best = result.best_single_agent
    best_text = f"{_f(best.score)} ({best.model}, agent {best.agent})" if best else "-"
    console.print(
        f"swarm score {_f(result.swarm_score)}{tag}  coordination gain "
        f"{_f(result.coordination_gain)}  best single agent {best_text}  "
        f"({result.duration_s:.1f}s, runner {result.runner})",
        markup=False,
        highlight=False,
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
    _print_tail(console, result.run_id, result.cost, result.simulated, result.stopped_reason)


def print_batch_summary(result: BatchResult, console: Console) -> None:
    tag = " [SIMULATED]" if result.simulated else ""
    table = Table(
        title=f"batch {result.tier} x harnesses {result.harness_ids} x {result.runs}{tag}"
    )
    add_model_column(table)
    for column in ("runs", "failed", "mean score"):
        table.add_column(column, justify="right")
    for row in sorted(result.per_model, key=lambda m: -(m.mean_score or 0.0)):
        table.add_row(row.model, str(row.units), str(row.failed), _f(row.mean_score))
    fit_model_column(table, console)
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
    for harness_id, score in sorted(result.scores.items()):
        failed = " (failed)" if harness_id in result.failed else ""
        table.add_row(f"{harness_id} {HARNESS_NAMES[harness_id]}", f"{score:.3f}{failed}")
    console.print(table)
    console.print(f"fitness {result.fitness:.3f}{tag}", markup=False, highlight=False)
    _print_tail(console, result.run_id, result.cost, result.simulated, result.stopped_reason)
