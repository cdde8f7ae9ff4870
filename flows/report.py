"""The report flow: ledger -> polars roll-up -> JSON, Markdown, plots, the viewer file, and
Prefect artifacts.

``map-elite report`` (or ``python -m flows.report``) runs it. The artifacts (a markdown artifact
with the whole report, table artifacts of the model and pattern rows with numbers rounded to a
readable width, and one markdown artifact per plot showing the image itself) make the profiles
visible in the Prefect UI, and a link artifact points at the viewer file (`profiles.viewer`:
the items behind the numbers, of ``--run-id``'s run or of every run); the files land in
``--out`` (default ``$MAPELITE_HOME/reports``).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.logging import get_run_logger

from flows.engine import flow
from mapelite.config.settings import get_settings
from mapelite.errors import InvalidInputError
from profiles.export import model_row, pattern_row, to_markdown, write_exports
from profiles.frame import EntryFilters, parse_filters
from profiles.rollup import build_report
from profiles.schema import Report
from profiles.viewer.page import FILE_NAME as VIEWER_FILE_NAME
from profiles.viewer.page import write_viewer

MARKDOWN_ARTIFACT_KEY = "mapelite-profiles"
MODEL_TABLE_ARTIFACT_KEY = "mapelite-model-profiles"
PATTERN_TABLE_ARTIFACT_KEY = "mapelite-pattern-profiles"
PLOT_ARTIFACT_PREFIX = "mapelite-plot-"
VIEWER_ARTIFACT_KEY = "mapelite-viewer"


def readable(row: dict[str, object]) -> dict[str, object]:
    """A table row whose numbers fit a column: 4 significant digits (a price per M token or a
    score per dollar otherwise runs to 17 digits and the UI cuts it off)."""
    return {
        name: float(f"{value:.4g}") if isinstance(value, float) else value
        for name, value in row.items()
    }


def plot_markdown(name: str, png: bytes) -> str:
    """A markdown page that shows the plot: the PNG inline as a data URI (an artifact holds
    text, and the UI's markdown renders data-URI images)."""
    data = base64.b64encode(png).decode("ascii")
    return f"# {name}\n\n![{name}](data:image/png;base64,{data})\n"


def plot_artifact_key(path: Path) -> str:
    return PLOT_ARTIFACT_PREFIX + "".join(c if c.isalnum() else "-" for c in path.stem.lower())


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
            table=[readable(model_row(m)) for m in report.models],
            description=description,
        )
        keys.append(MODEL_TABLE_ARTIFACT_KEY)
    if report.patterns:
        create_table_artifact(
            key=PATTERN_TABLE_ARTIFACT_KEY,
            table=[readable(pattern_row(p)) for p in report.patterns],
            description=description,
        )
        keys.append(PATTERN_TABLE_ARTIFACT_KEY)
    return keys


@task(name="publish-plots")
def publish_plots(files: list[str], simulated: bool) -> list[str]:
    """One markdown artifact per PNG plot written; returns the artifact keys."""
    keys = []
    for path in (Path(f) for f in files if f.endswith(".png")):
        key = plot_artifact_key(path)
        description = f"MAP-ELITE {path.stem} plot" + (" (SIMULATED models)" if simulated else "")
        create_markdown_artifact(
            key=key, markdown=plot_markdown(path.stem, path.read_bytes()), description=description
        )
        keys.append(key)
    return keys


@task(name="write-viewer")
def viewer(ledger_path: Path, out_dir: Path, run_id: str | None) -> str | None:
    """The viewer file (`map-elite view`) beside the exports, of the report's run or of every
    run; None (and a log line) when the selection is too big for one file."""
    try:
        written = write_viewer(
            ledger_path, out_dir / VIEWER_FILE_NAME, [run_id] if run_id else None
        )
    except InvalidInputError as exc:
        get_run_logger().warning("no viewer file: %s", exc)
        return None
    return str(written.path)


@task(name="publish-viewer-link")
def publish_viewer(path: str, simulated: bool) -> list[str]:
    """A link artifact to the viewer file: the items behind the report's numbers."""
    description = "MAP-ELITE viewer: runs, items, swarms" + (
        " (includes SIMULATED models)" if simulated else ""
    )
    create_link_artifact(
        key=VIEWER_ARTIFACT_KEY,
        link=Path(path).resolve().as_uri(),
        link_text=f"open the viewer ({Path(path).name})",
        description=description,
    )
    return [VIEWER_ARTIFACT_KEY]


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
    cached: str = "exclude",
) -> dict[str, Any]:
    """Roll the ledger up, write the exports, publish the artifacts; returns a summary."""
    settings = get_settings()
    ledger = Path(ledger_path) if ledger_path else settings.ledger
    out = Path(out_dir) if out_dir else settings.home / "reports"
    filters = parse_filters(tier, provider, since, until, run_id, cached)
    report = roll_up(ledger, filters, use_summary=not from_ledger)
    files = export(report, out, plots)
    artifacts = publish(report) + publish_plots(files, report.simulated)
    viewer_path = viewer(ledger, out, run_id)
    if viewer_path is not None:
        files.append(viewer_path)
        artifacts += publish_viewer(viewer_path, report.simulated)
    return {
        "models": len(report.models),
        "patterns": len(report.patterns),
        "entries_used": report.entries_used,
        "simulated": report.simulated,
        "files": files,
        "artifacts": artifacts,
    }


if __name__ == "__main__":
    # The entry point `python -m flows.report` runs the command line's report command.
    from cli.app import single_command_main
    from cli.profiles import report_command

    single_command_main(report_command)
