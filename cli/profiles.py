"""Commands over the ledger's roll-up: ``profile`` (one model, or --all) and ``report`` (the
report flow: exports and Prefect artifacts)."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from cli.app import add_command
from cli.options import (
    CACHED_FILTER,
    FROM_LEDGER_OPTION,
    JSON_OPTION,
    LEDGER_OPTION,
    PROVIDER_FILTER,
    RUN_ID_FILTER,
    SINCE_FILTER,
    TIER_FILTER,
    UNTIL_FILTER,
    ledger_path,
)
from cli.output import (
    add_model_column,
    fit_model_column,
    make_console,
    print_simulated_notice,
    say,
)
from mapelite.errors import InvalidInputError

if TYPE_CHECKING:
    from profiles.schema import ModelProfile, Report


class OutputFormat(enum.StrEnum):
    table = "table"
    md = "md"
    json = "json"


def profile_command(
    model: str | None = typer.Argument(
        None, help="setup: model id or model@setting, e.g. mockllm/atlas, lab/qwen3@low"
    ),
    all_models: bool = typer.Option(False, "--all", help="every model and pattern"),
    by_provider: bool = typer.Option(
        False,
        "--by-provider",
        help="split each setup by the provider that served its answers (SETUP via PROVIDER)",
    ),
    output_format: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="table|md|json"
    ),
    out: Path | None = typer.Option(None, "--out", help="write JSON, Markdown and plots here"),
    tier: str | None = TIER_FILTER,
    provider: str | None = PROVIDER_FILTER,
    since: str | None = SINCE_FILTER,
    until: str | None = UNTIL_FILTER,
    run_id: str | None = RUN_ID_FILTER,
    ledger: Path | None = LEDGER_OPTION,
    from_ledger: bool = FROM_LEDGER_OPTION,
    cached: str = CACHED_FILTER,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one setup's profile, or every profile with --all (--json: the same as --format
    json). A setup is a model at one reasoning setting (model@setting): each has its own
    scores, truncation rate (answers cut off at their token budget), cost against the pre-run
    estimate, providers and scorer versions.

    Example: map-elite profile mockllm/atlas
    Example: map-elite profile --all --format md --tier demo
    """
    if as_json:
        output_format = OutputFormat.json
    if (model is None) == (not all_models):
        raise InvalidInputError("give either a MODEL or --all, e.g. `map-elite profile --all`")
    from profiles.frame import parse_filters
    from profiles.rollup import build_report

    filters = parse_filters(tier, provider, since, until, run_id, cached)
    report = build_report(
        ledger_path(ledger), filters, use_summary=not from_ledger, by_provider=by_provider
    )
    console = make_console()
    if out is not None:
        from profiles.export import write_exports

        paths = write_exports(report, out)
        for path in paths.all():
            console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)
    if model is not None:
        for part in _setup_parts(report, model):
            _show_model(part, output_format, console)
    elif output_format is OutputFormat.json:
        from profiles.export import to_json

        sys.stdout.write(to_json(report))
    elif output_format is OutputFormat.md:
        from profiles.export import to_markdown

        sys.stdout.write(to_markdown(report))
    elif out is None:
        _show_all(report, console)


def _setup_parts(report: Report, model: str) -> list[ModelProfile]:
    parts = report.setup_parts(model)
    if not parts:
        known = ", ".join(m.model for m in report.models[:8]) or "none"
        raise InvalidInputError(
            f"no results for setup {model!r} in this selection; setups: {known}"
        )
    return parts


def _show_model(profile: ModelProfile, output_format: OutputFormat, console: Console) -> None:
    from rich.table import Table

    from profiles.export import cell, model_row

    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(profile.model_dump(mode="json"), indent=2) + "\n")
        return
    if output_format is OutputFormat.md:
        sys.stdout.write(_model_markdown(profile))
        return
    if profile.simulated:
        print_simulated_notice(console)
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
    from profiles.export import MODEL_COLUMNS, cell, model_row

    row = model_row(profile)
    lines = ["| field | value |", "|---|---|"]
    lines += [f"| {name} | {cell(row[name])} |" for name in MODEL_COLUMNS]
    lines += ["", "| harness | latest | average | entries |", "|---|---|---|---|"]
    lines += [
        f"| {h.harness} | {cell(h.latest)} | {cell(h.average)} | {h.entries} |"
        for h in profile.harnesses
    ]
    return "\n".join(lines) + "\n"


NOT_IN_TABLE = ("first evaluated", "entries")
COLUMN_PRIORITY = (
    "rank",
    "model",
    "fitness",
    "band",
    "score per dollar",
    "price per M (USD)",
    "Pareto frontier",
    "simulated",
    "coverage",
    "average fitness",
    "evaluations",
    "trend",
    "failed entries",
    "item errors",
    "trend slope",
    "last evaluated",
)
"""The profile table's columns, most wanted first: a narrow terminal drops the last ones
rather than cut a model id."""


def _columns_that_fit(rows: list[dict[str, object]], width: int) -> list[str]:
    """The columns (in table order) that fit ``width`` with every model id whole."""
    from profiles.export import MODEL_COLUMNS, cell

    def need(column: str) -> int:
        texts = [cell(row[column]) for row in rows]
        if column == "model":
            return max((len(t) for t in texts), default=5) + 3
        words = [w for text in [column, *texts] for w in text.split()]
        return max((len(w) for w in words), default=1) + 3

    chosen: list[str] = []
    used = 1
    wanted = [c for c in COLUMN_PRIORITY if c in MODEL_COLUMNS]
    wanted += [c for c in MODEL_COLUMNS if c not in wanted and c not in NOT_IN_TABLE]
    for column in wanted:
        if used + need(column) <= width or column in ("rank", "model"):
            chosen.append(column)
            used += need(column)
    return [c for c in MODEL_COLUMNS if c in chosen]


def _show_all(report: Report, console: Console) -> None:
    from rich.table import Table

    from profiles.export import MODEL_COLUMNS, SIMULATED_MARK, cell, model_row

    if report.simulated:
        print_simulated_notice(console)
    if not report.models:
        console.print("no results in the ledger for this selection", markup=False)
        return
    table = Table(title=f"model profiles ({report.entries_used} entries)")
    rows = [model_row(profile) for profile in report.models]
    columns = _columns_that_fit(rows, console.width)
    for column in columns:
        if column == "model":
            add_model_column(table)  # ids are copied: wrapped, never cut
        else:
            table.add_column(column)
    for row in rows:
        table.add_row(*(cell(row[c]) for c in columns))
    fit_model_column(table, console)
    console.print(table)
    hidden = [c for c in MODEL_COLUMNS if c not in columns and c not in NOT_IN_TABLE]
    if hidden:
        say(console, f"not shown at this width: {', '.join(hidden)} (--format md or --json)")
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
                cell(p.swarm_score), cell(p.coordination_gain),
                cell(p.gain_over_best_single_member), cell(p.cost_per_run_usd),
                cell(p.score_per_extra_dollar),
            )  # fmt: skip
        console.print(patterns)
        from profiles.export import verdict_lines

        for line in verdict_lines(report):  # the swarm verdicts of each row's latest run
            say(console, line.replace("`", ""))


def report_command(
    out: Path | None = typer.Option(None, "--out", help="directory for the exports"),
    tier: str | None = TIER_FILTER,
    provider: str | None = PROVIDER_FILTER,
    since: str | None = SINCE_FILTER,
    until: str | None = UNTIL_FILTER,
    run_id: str | None = RUN_ID_FILTER,
    ledger: Path | None = LEDGER_OPTION,
    plots: bool = typer.Option(True, "--plots/--no-plots", help="write the PNG/SVG plots"),
    from_ledger: bool = FROM_LEDGER_OPTION,
    cached: str = CACHED_FILTER,
) -> None:
    """Run the report flow: profiles as JSON, Markdown, plots and Prefect artifacts.

    Example: map-elite report --tier demo --out reports/
    """
    from flows.report import report_flow
    from mapelite.catalog.models import load_catalog
    from profiles.frame import parse_filters, verified_entry_count

    path = ledger_path(ledger)
    # Check before starting Prefect so a bad ledger or option is one line, not a failed flow run.
    verified_entry_count(path)
    if tier is not None:
        load_catalog().tier(tier)  # unknown tier -> InvalidInputError listing the tiers
    parse_filters(tier, provider, since, until, run_id, cached)
    summary = report_flow(
        ledger_path=str(path),
        out_dir=str(out) if out else None,
        tier=tier,
        provider=provider,
        since=since,
        until=until,
        run_id=run_id,
        plots=plots,
        from_ledger=from_ledger,
        cached=cached,
    )
    console = make_console()
    if summary["simulated"]:
        print_simulated_notice(console)
    say(
        console,
        f"report: {summary['models']} models, {summary['patterns']} patterns, "
        f"{summary['entries_used']} entries; artifacts: {', '.join(summary['artifacts'])}",
    )
    for written in summary["files"]:
        say(console, f"wrote {written}")


def register(app: typer.Typer) -> None:
    """Add ``profile`` and ``report`` to ``app``."""
    add_command(app, "profile", profile_command)
    add_command(app, "report", report_command)
