"""Exports: the Markdown shows exactly the JSON's numbers; plots are real PNG/SVG files."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from mapelite.schemas import HARNESS_NAMES
from profiles.export import (
    MODEL_COLUMNS,
    NULL_MARK,
    PATTERN_COLUMNS,
    SIMULATED_MARK,
    write_exports,
)
from profiles.rollup import build_report
from tests.test_profiles import write_scenario_ledger

MODEL_JSON_FIELDS = {
    "rank": "rank",
    "band": "band",
    "model": "model",
    "fitness": "fitness",
    "average fitness": "average_fitness",
    "evaluations": "evaluations",
    "entries": "entries",
    "failed entries": "failed_entries",
    "first evaluated": "first_evaluated",
    "last evaluated": "last_evaluated",
    "trend": "trend",
    "price per M (USD)": "price_per_m_usd",
    "score per dollar": "score_per_dollar",
    "Pareto frontier": "on_pareto_frontier",
}
PATTERN_JSON_FIELDS = {
    "pattern": "pattern",
    "tier": "tier",
    "item sample": "item_sample",
    "runs": "runs",
    "swarm score": "swarm_score",
    "coordination gain": "coordination_gain",
    "best single member": "best_single_member",
    "best single member score": "best_single_member_score",
    "gain over best single member": "gain_over_best_single_member",
    "cost per run (USD)": "cost_per_run_usd",
    "tier best model": "tier_best_model",
    "tier best model score": "tier_best_model_score",
    "tier best model cost per run (USD)": "tier_best_model_cost_per_run_usd",
    "score per extra dollar": "score_per_extra_dollar",
}
ESTIMATE_CELL = re.compile(r"^(\S+) \[(\S+), (\S+)\] n=(\d+)$")


def markdown_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Each ``## heading``'s table as a list of {column: cell}."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading = ""
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            heading, header = line[3:], None
            tables[heading] = []
        elif line.startswith("|") and heading:
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            if header is None:
                header = cells
            elif not set(line) <= {"|", "-"}:
                tables[heading].append(dict(zip(header, cells, strict=True)))
    return tables


def as_json_value(text: str) -> Any:
    """Parse a Markdown cell back into what the JSON holds."""
    if text == NULL_MARK:
        return None
    if text in ("yes", "no"):
        return text == "yes"
    estimate = ESTIMATE_CELL.match(text)
    if estimate:
        value, low, high, n = estimate.groups()
        return {"value": json.loads(value), "n": int(n), "ci_low": json.loads(low),
                "ci_high": json.loads(high)}  # fmt: skip
    try:
        return json.loads(text)
    except ValueError:
        return text


@pytest.fixture
def exported(tmp_path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]], Path]:
    ledger = write_scenario_ledger(tmp_path / "ledger.jsonl")
    paths = write_exports(build_report(ledger), tmp_path / "out")
    data = json.loads(paths.json.read_text())
    return data, markdown_tables(paths.markdown.read_text()), tmp_path / "out"


def test_markdown_model_table_shows_the_json_numbers(exported: Any) -> None:
    data, tables, _ = exported
    rows = tables["Models"]
    assert [r["model"] for r in rows] == [m["model"] for m in data["models"]]
    assert list(rows[0]) == MODEL_COLUMNS
    for row, model in zip(rows, data["models"], strict=True):
        for column, field in MODEL_JSON_FIELDS.items():
            assert as_json_value(row[column]) == model[field], (model["model"], column)
        assert (row["simulated"] == SIMULATED_MARK) is model["simulated"]


def test_markdown_harness_tables_show_the_json_numbers(exported: Any) -> None:
    data, tables, _ = exported
    for heading, field in (
        ("Latest score per harness", "latest"),
        ("Average score per harness", "average"),
    ):
        for row, model in zip(tables[heading], data["models"], strict=True):
            expected = {name: None for name in HARNESS_NAMES.values()}
            expected.update({h["harness"]: h[field] for h in model["harnesses"]})
            shown = {name: as_json_value(row[name]) for name in HARNESS_NAMES.values()}
            assert shown == expected, (heading, model["model"])


def test_markdown_pattern_table_shows_the_json_numbers(exported: Any) -> None:
    data, tables, _ = exported
    rows = tables["Patterns"]
    assert list(rows[0]) == PATTERN_COLUMNS
    assert len(rows) == len(data["patterns"]) == 2
    for row, pattern in zip(rows, data["patterns"], strict=True):
        for column, field in PATTERN_JSON_FIELDS.items():
            assert as_json_value(row[column]) == pattern[field], (pattern["pattern"], column)
        assert row["simulated"] == SIMULATED_MARK


def test_json_has_a_versioned_schema_and_marks_simulated_rows(exported: Any) -> None:
    data, _, out = exported
    assert data["schema_version"] == 2
    assert set(data) == {
        "schema_version", "generated_at", "ledger_path", "ledger_entries", "entries_used",
        "filters", "fitness_weights", "simulated", "models", "patterns",
    }  # fmt: skip
    assert {m["model"]: m["simulated"] for m in data["models"]} == {
        "mockllm/birch": True,
        "mockllm/atlas": True,
        "ollama/llama3.2:1b": False,
        "openrouter/openai/gpt-5-nano": False,
    }
    coverage = {m["model"]: m["coverage"]["complete"] for m in data["models"]}
    assert coverage["mockllm/atlas"] is False and coverage["mockllm/birch"] is True
    assert SIMULATED_MARK in (out / "profiles.md").read_text().splitlines()[4]


def test_plots_are_written_as_png_and_svg_and_name_simulated_models(exported: Any) -> None:
    _, _, out = exported
    for name in ("fitness_vs_price", "harness_heatmap"):
        png = (out / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
        svg = (out / f"{name}.svg").read_text()
        assert "<svg" in svg
    scatter_svg = (out / "fitness_vs_price.svg").read_text()
    # matplotlib writes text as glyph paths with the string in a comment
    assert "SIMULATED" in scatter_svg and "Pareto frontier" in scatter_svg
    assert "birch [SIM]" in scatter_svg and "llama3.2:1b (free)" in scatter_svg
    assert "partial coverage (no fitness), not shown: mockllm/atlas" in scatter_svg


def test_markdown_lists_the_swarm_verdicts(exported: Any) -> None:
    data, _, out = exported
    text = (out / "profiles.md").read_text()
    assert "## Swarm verdicts (latest run of each pattern row)" in text
    for pattern in data["patterns"]:
        for verdict in pattern["verdicts"]:
            assert verdict["sentence"] in text


def test_empty_ledger_exports_an_empty_report(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_bytes(b"")
    paths = write_exports(build_report(ledger), tmp_path / "out")
    data = json.loads(paths.json.read_text())
    assert (data["models"], data["patterns"], data["entries_used"]) == ([], [], 0)
    assert "No results" in paths.markdown.read_text()
    assert all(p.exists() for p in paths.plots) and len(paths.plots) == 4


def test_price_axis_is_logarithmic_only_when_prices_span_more_than_tenfold() -> None:
    from profiles.plots import use_log_axis

    assert not use_log_axis([0.05, 0.1, 0.4])  # 8x
    assert use_log_axis([0.01, 0.1, 0.4])  # 40x
    assert use_log_axis([0.0, 0.2])  # free next to priced: the free floor is a decade down
    assert not use_log_axis([0.0, 0.0])


def test_labels_are_spread_at_least_a_line_apart_and_stay_near_their_points() -> None:
    from profiles.plots import spread_labels

    ys = [100.0, 101.0, 102.0, 300.0, 100.5]
    placed = spread_labels(ys, min_gap=13.0)
    ordered = sorted(placed)
    assert all(b - a >= 13.0 - 1e-9 for a, b in itertools.pairwise(ordered))
    assert placed[3] == pytest.approx(300.0, abs=30.0)  # a lone label barely moves
    assert sorted(range(5), key=lambda i: placed[i]) == sorted(range(5), key=lambda i: ys[i])
