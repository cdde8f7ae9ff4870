"""``map-elite profile MODEL`` and ``map-elite profile --all``: profiles from the ledger."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from mapelite.cli import make_console
from mapelite.errors import InvalidInputError
from mapelite.settings import get_settings
from profiles.export import (
    MODEL_COLUMNS,
    SIMULATED_MARK,
    cell,
    model_row,
    to_json,
    to_markdown,
    write_exports,
)
from profiles.frame import EntryFilters, parse_when
from profiles.rollup import build_report
from profiles.schema import ModelProfile, Report

SIMULATED_NOTE = (
    f"{SIMULATED_MARK}: rows marked {SIMULATED_MARK} come from mockllm models, not real LLMs."
)


class OutputFormat(enum.StrEnum):
    table = "table"
    md = "md"
    json = "json"


def filters_from_options(
    tier: str | None, provider: str | None, since: str | None, until: str | None, run_id: str | None
) -> EntryFilters:
    return EntryFilters(
        tier=tier,
        provider=provider,
        since=parse_when(since, option="--since"),
        until=parse_when(until, option="--until"),
        run_id=run_id,
    )


def profile_command(
    model: str | None = typer.Argument(None, help="model id, e.g. mockllm/atlas"),
    all_models: bool = typer.Option(False, "--all", help="every model and pattern"),
    output_format: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="table|md|json"
    ),
    out: Path | None = typer.Option(None, "--out", help="write JSON, Markdown and plots here"),
    tier: str | None = typer.Option(None, help="only models of this catalog tier"),
    provider: str | None = typer.Option(None, help="only models of this provider, e.g. ollama"),
    since: str | None = typer.Option(None, help="only entries at or after, e.g. 2025-01-31"),
    until: str | None = typer.Option(None, help="only entries at or before"),
    run_id: str | None = typer.Option(None, "--run-id", help="only entries of this run"),
    ledger: Path | None = typer.Option(None, help="ledger file (default MAPELITE_LEDGER_PATH)"),
    from_ledger: bool = typer.Option(
        False,
        "--from-ledger",
        help="read the ledger itself, not its summary index (slower; for audits)",
    ),
) -> None:
    """Show one model's profile, or every profile with --all.

    Example: map-elite profile mockllm/atlas
    Example: map-elite profile --all --format md --tier demo
    """
    if (model is None) == (not all_models):
        raise InvalidInputError("give either a MODEL or --all, e.g. `map-elite profile --all`")
    filters = filters_from_options(tier, provider, since, until, run_id)
    report = build_report(ledger or get_settings().ledger, filters, use_summary=not from_ledger)
    console = make_console()
    if out is not None:
        paths = write_exports(report, out)
        for path in paths.all():
            console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)
    if model is not None:
        _show_model(report, model, output_format, console)
    elif output_format is OutputFormat.json:
        sys.stdout.write(to_json(report))
    elif output_format is OutputFormat.md:
        sys.stdout.write(to_markdown(report))
    elif out is None:
        _show_all(report, console)


def _show_model(report: Report, model: str, output_format: OutputFormat, console: Console) -> None:
    profile = report.model(model)
    if profile is None:
        known = ", ".join(m.model for m in report.models[:8]) or "none"
        raise InvalidInputError(
            f"no results for model {model!r} in this selection; models: {known}"
        )
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(profile.model_dump(mode="json"), indent=2) + "\n")
        return
    if output_format is OutputFormat.md:
        sys.stdout.write(_model_markdown(profile))
        return
    if profile.simulated:
        console.print(SIMULATED_NOTE, style="bold yellow", markup=False)
    summary = Table(title=f"profile of {profile.model}", show_header=False)
    for name, value in model_row(profile).items():
        summary.add_row(name, cell(value))
    console.print(summary)
    per_harness = Table(title="per harness")
    for column in ("harness", "id", "latest", "average", "entries"):
        per_harness.add_column(column)
    for harness in profile.harnesses:
        per_harness.add_row(
            harness.harness,
            str(harness.harness_id),
            cell(harness.latest),
            cell(harness.average),
            str(harness.entries),
        )
    console.print(per_harness)


def _model_markdown(profile: ModelProfile) -> str:
    row = model_row(profile)
    lines = ["| field | value |", "|---|---|"]
    lines += [f"| {name} | {cell(row[name])} |" for name in MODEL_COLUMNS]
    lines += ["", "| harness | latest | average | entries |", "|---|---|---|---|"]
    lines += [
        f"| {h.harness} | {cell(h.latest)} | {cell(h.average)} | {h.entries} |"
        for h in profile.harnesses
    ]
    return "\n".join(lines) + "\n"


def _show_all(report: Report, console: Console) -> None:
    if report.simulated:
        console.print(SIMULATED_NOTE, style="bold yellow", markup=False)
    if not report.models:
        console.print("no results in the ledger for this selection", markup=False)
        return
    table = Table(title=f"model profiles ({report.entries_used} entries)")
    columns = [c for c in MODEL_COLUMNS if c not in ("first evaluated", "entries")]
    for column in columns:
        table.add_column(column)
    for profile in report.models:
        row = model_row(profile)
        table.add_row(*(cell(row[c]) for c in columns))
    console.print(table)
    if report.patterns:
        patterns = Table(title="patterns")
        names = (
            "pattern",
            "tier",
            "simulated",
            "runs",
            "swarm score",
            "coord. gain",
            "gain vs best member",
            "cost/run USD",
            "score per extra $",
        )
        for name in names:
            patterns.add_column(name)
        for p in report.patterns:
            patterns.add_row(
                p.pattern, p.tier, SIMULATED_MARK if p.simulated else "", str(p.runs),
                cell(p.mean_swarm_score), cell(p.coordination_gain),
                cell(p.gain_over_best_single_member), cell(p.cost_per_run_usd),
                cell(p.score_per_extra_dollar),
            )  # fmt: skip
        console.print(patterns)


def register(app: typer.Typer) -> None:
    """Add the ``profile`` command to ``app``."""
    app.command("profile")(profile_command)
