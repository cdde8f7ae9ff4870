"""The report flow: ledger -> polars roll-up -> JSON, Markdown, plots, and Prefect artifacts.

``python -m flows.report`` or ``map-elite report`` run it. The artifacts (a markdown artifact with
the whole report, table artifacts of the model and pattern rows) make the profiles visible in
the Prefect UI; the files land in ``--out`` (default ``$MAPELITE_HOME/reports``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.engine import flow
from mapelite.catalog import load_catalog
from mapelite.cli import make_console
from mapelite.settings import get_settings
from profiles.cli import SIMULATED_NOTE, filters_from_options
from profiles.export import model_row, pattern_row, to_markdown, write_exports
from profiles.frame import EntryFilters, verified_entry_count
from profiles.rollup import build_report
from profiles.schema import Report

MARKDOWN_ARTIFACT_KEY = "mapelite-profiles"
MODEL_TABLE_ARTIFACT_KEY = "mapelite-model-profiles"
PATTERN_TABLE_ARTIFACT_KEY = "mapelite-pattern-profiles"


@task(name="roll-up-ledger")
def roll_up(ledger_path: Path, filters: EntryFilters, use_summary: bool = True) -> Report:
    return build_report(ledger_path, filters, use_summary=use_summary)


@task(name="export-profiles")
def export(report: Report, out_dir: Path, plots: bool) -> list[str]:
    return [str(path) for path in write_exports(report, out_dir, plots=plots).all()]


@task(name="publish-artifacts")
def publish(report: Report) -> list[str]:
    """Markdown + table artifacts; returns the artifact keys."""
    description = "MAP-ELITE profiles" + (
        " (includes SIMULATED models)" if report.simulated else ""
    )
    create_markdown_artifact(
        key=MARKDOWN_ARTIFACT_KEY, markdown=to_markdown(report), description=description
    )
    keys = [MARKDOWN_ARTIFACT_KEY]
    # Table artifacts need at least one row; an empty report publishes the markdown only.
    if report.models:
        create_table_artifact(
            key=MODEL_TABLE_ARTIFACT_KEY,
            table=[model_row(m) for m in report.models],
            description=description,
        )
        keys.append(MODEL_TABLE_ARTIFACT_KEY)
    if report.patterns:
        create_table_artifact(
            key=PATTERN_TABLE_ARTIFACT_KEY,
            table=[pattern_row(p) for p in report.patterns],
            description=description,
        )
        keys.append(PATTERN_TABLE_ARTIFACT_KEY)
    return keys


@flow(name="report", log_prints=False)
def report_flow(
    ledger_path: str | None = None,
    out_dir: str | None = None,
    tier: str | None = None,
    provider: str | None = None,
    since: str | None = None,
    until: str | None = None,
    run_id: str | None = None,
    plots: bool = True,
    from_ledger: bool = False,
) -> dict[str, Any]:
    """Roll the ledger up, write the exports, publish the artifacts; returns a summary."""
    settings = get_settings()
    ledger = Path(ledger_path) if ledger_path else settings.ledger
    out = Path(out_dir) if out_dir else settings.home / "reports"
    filters = filters_from_options(tier, provider, since, until, run_id)
    report = roll_up(ledger, filters, use_summary=not from_ledger)
    files = export(report, out, plots)
    artifacts = publish(report)
    return {
        "models": len(report.models),
        "patterns": len(report.patterns),
        "entries_used": report.entries_used,
        "simulated": report.simulated,
        "files": files,
        "artifacts": artifacts,
    }


def report_command(
    out: Path | None = typer.Option(None, "--out", help="directory for the exports"),
    tier: str | None = typer.Option(None, help="only models of this catalog tier"),
    provider: str | None = typer.Option(None, help="only models of this provider"),
    since: str | None = typer.Option(None, help="only entries at or after, e.g. 2025-01-31"),
    until: str | None = typer.Option(None, help="only entries at or before"),
    run_id: str | None = typer.Option(None, "--run-id", help="only entries of this run"),
    ledger: Path | None = typer.Option(None, help="ledger file (default MAPELITE_LEDGER_PATH)"),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="write the PNG/SVG plots"),
    from_ledger: bool = typer.Option(
        False,
        "--from-ledger",
        help="read the ledger itself, not its summary index (slower; for audits)",
    ),
) -> None:
    """Run the report flow: profiles as JSON, Markdown, plots and Prefect artifacts.

    Example: map-elite report --tier demo --out reports/
    """
    ledger_path = ledger or get_settings().ledger
    # Check before starting Prefect so a bad ledger or option is one line, not a failed flow run.
    verified_entry_count(ledger_path)
    if tier is not None:
        load_catalog().tier(tier)  # unknown tier -> InvalidInputError listing the tiers
    filters_from_options(tier, provider, since, until, run_id)
    summary = report_flow(
        ledger_path=str(ledger_path),
        out_dir=str(out) if out else None,
        tier=tier,
        provider=provider,
        since=since,
        until=until,
        run_id=run_id,
        plots=plots,
        from_ledger=from_ledger,
    )
    console = make_console()
    if summary["simulated"]:
        console.print(SIMULATED_NOTE, style="bold yellow", markup=False)
    console.print(
        f"report: {summary['models']} models, {summary['patterns']} patterns, "
        f"{summary['entries_used']} entries; artifacts: {', '.join(summary['artifacts'])}",
        markup=False,
        highlight=False,
    )
    for path in summary["files"]:
        console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(report_command)


if __name__ == "__main__":
    import sys

    from mapelite.cli import run_app

    _app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(_app)
    sys.exit(run_app(_app, sys.argv[1:]))
