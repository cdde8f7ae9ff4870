"""``map-elite compare A B``: a paired comparison of two models, or of a swarm run and a model,
on the items both answered (`mapelite.stats.compare`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.app import add_command
from cli.options import LEDGER_OPTION, ledger_path
from cli.output import make_console, say

if TYPE_CHECKING:
    from rich.table import Table

    from mapelite.stats.compare import ComparisonReport, HarnessComparison


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _add_row(table: Table, row: HarnessComparison) -> None:
    interval = "-" if row.ci_low is None else f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}]"
    table.add_row(
        row.harness if row.harness_id is None else f"{row.harness_id} {row.harness}",
        str(row.n),
        _f(row.a_mean),
        _f(row.b_mean),
        "-" if row.difference is None else f"{row.difference:+.3f}",
        interval,
        _p(row.p_value),
        _p(row.p_adjusted),
        "yes" if row.significant else "no",
        "-" if row.more_items_to_settle is None else str(row.more_items_to_settle),
    )


def comparison_table(report: ComparisonReport) -> Table:
    """Per harness and overall: n, both means, a - b with its 95% CI, raw and Holm p-values."""
    from rich.table import Table

    a, b = report.a, report.b
    title = f"compare A = {a.name} ({a.kind}) with B = {b.name} ({b.kind}), paired on shared items"
    table = Table(title=title)
    for column in ("harness", "n", "A", "B", "A - B", "95% CI", "p", "p (Holm)", "sig.", "+items"):
        table.add_column(column, justify="left" if column == "harness" else "right")
    for row in report.harnesses:
        _add_row(table, row)
    table.add_section()
    _add_row(table, report.overall)
    return table


def compare_command(
    a: str = typer.Argument(
        ..., help="setup (model id or model@setting, e.g. mockllm/atlas) or swarm run id"
    ),
    b: str = typer.Argument(..., help="setup or swarm run id"),
    harness: str | None = typer.Option(
        None, "--harness", "-H", help="harness id, name, list or 'all' (default: every shared)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the comparison as JSON"),
    ledger: Path | None = LEDGER_OPTION,
) -> None:
    """Compare A with B on the items both answered: per harness and overall, the difference
    A - B with its 95% CI and p-value (exact McNemar for 0/1 scores, clustered paired t
    otherwise; Holm-corrected across harnesses), and a verdict in words. A and B are setups
    (a model's own runs at one reasoning setting: model@low and model@high are two) or the run
    id a swarm printed (its last stage). Rescored runs count in their latest scoring.

    Example: map-elite compare mockllm/atlas mockllm/harbor
    Example: map-elite compare openrouter/openai/gpt-5-nano@low openrouter/openai/gpt-5-nano@high
    Example: map-elite compare r-1a2b3c mockllm/atlas --harness 0,7 --json
    """
    from mapelite.harnesses import parse_harness_selection
    from mapelite.stats.compare import compare, entries_mentioning
    from profiles.frame import verified_entry_count

    path = ledger_path(ledger)
    verified_entry_count(path)  # missing or corrupt ledger: one line, exit 1
    harness_ids = parse_harness_selection(harness) if harness is not None else None
    report = compare(entries_mentioning(path, [a, b]), a, b, harness_ids)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    console = make_console()
    console.print(comparison_table(report))
    for label, side in (("A", report.a), ("B", report.b)):
        if side.scorer_versions:
            say(console, f"{label} scored by scorer version {', '.join(side.scorer_versions)}")
    say(console, f"verdict: {report.verdict}")


def register(app: typer.Typer) -> None:
    """Add ``compare`` to ``app``."""
    add_command(app, "compare", compare_command)
