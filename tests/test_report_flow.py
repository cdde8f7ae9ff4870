"""The report flow on Prefect's test harness: files written, artifacts published; the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from cli.app import run_app
from cli.profiles import register
from flows.report import (
    MARKDOWN_ARTIFACT_KEY,
    MODEL_TABLE_ARTIFACT_KEY,
    PATTERN_TABLE_ARTIFACT_KEY,
    VIEWER_ARTIFACT_KEY,
    report_flow,
)
from tests.test_profiles import write_scenario_ledger


def artifacts_by_key(keys: list[str]) -> dict[str, list[object]]:
    """Each key's artifacts, newest first (the session's Prefect API keeps earlier reports')."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)),
            sort=ArtifactSort.CREATED_DESC,
        )
    grouped: dict[str, list[object]] = {}
    for artifact in found:
        grouped.setdefault(str(artifact.key), []).append(artifact)
    return grouped


def fresh_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """Test app."""

    register(app)
    return app


@pytest.mark.prefect
def test_report_flow_writes_exports_and_publishes_artifacts(
    prefect_api: str, tmp_path: Path
) -> None:
    ledger = write_scenario_ledger(tmp_path / "ledger.jsonl")
    out = tmp_path / "report"
    summary = report_flow(ledger_path=str(ledger), out_dir=str(out))
    assert summary["models"] == 4 and summary["patterns"] == 2 and summary["simulated"] is True
    assert sorted(Path(f).name for f in summary["files"]) == [
        "fitness_vs_price.png", "fitness_vs_price.svg", "harness_heatmap.png",
        "harness_heatmap.svg", "profiles.json", "profiles.md", "viewer.html",
    ]  # fmt: skip
    keys = [MARKDOWN_ARTIFACT_KEY, MODEL_TABLE_ARTIFACT_KEY, PATTERN_TABLE_ARTIFACT_KEY]
    plots = ["mapelite-plot-fitness-vs-price", "mapelite-plot-harness-heatmap"]
    assert summary["artifacts"] == [*keys, *plots, VIEWER_ARTIFACT_KEY]
    found = artifacts_by_key([*keys, VIEWER_ARTIFACT_KEY])
    assert set(found) == {*keys, VIEWER_ARTIFACT_KEY}
    link = found[VIEWER_ARTIFACT_KEY][0]  # Prefect stores a link artifact as markdown
    assert (out / "viewer.html").resolve().as_uri() in str(link.data)  # type: ignore[attr-defined]
    markdown = found[MARKDOWN_ARTIFACT_KEY][0]
    assert markdown.type == "markdown"  # type: ignore[attr-defined]
    assert markdown.data == (out / "profiles.md").read_text()  # type: ignore[attr-defined]
    table = found[MODEL_TABLE_ARTIFACT_KEY][0]
    assert table.type == "table"  # type: ignore[attr-defined]
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data  # type: ignore[attr-defined]
    assert [r["model"] for r in rows][:2] == ["mockllm/birch", "openrouter/openai/gpt-5-nano"]
    assert rows[0]["simulated"] == "SIMULATED"


@pytest.mark.prefect
def test_report_command_runs_the_flow_and_says_simulated(
    prefect_api: str, mapelite_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_scenario_ledger(mapelite_home / "ledger.jsonl")
    code = run_app(fresh_app(), ["report", "--no-plots", "--tier", "demo"])
    out = capsys.readouterr().out
    assert code == 0
    assert "SIMULATED" in out and "report: 2 models, 2 patterns, 20 entries" in out
    data = json.loads((mapelite_home / "reports" / "profiles.json").read_text())
    assert data["filters"]["tier"] == "demo"
    assert not (mapelite_home / "reports" / "fitness_vs_price.png").exists()


def test_report_command_on_a_missing_ledger_is_one_line_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run_app(fresh_app(), ["report"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: no ledger at ") and err.count("\n") == 1


def test_report_command_on_a_corrupt_ledger_names_the_index(
    mapelite_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = write_scenario_ledger(mapelite_home / "ledger.jsonl")
    ledger.write_bytes(ledger.read_bytes()[:-10])  # torn last line
    code = run_app(fresh_app(), ["report"])
    err = capsys.readouterr().err
    assert code == 1
    assert "corrupt at entry 43 " in err and err.count("\n") == 1
