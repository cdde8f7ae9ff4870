"""``map-elite profile``: one model, --all in every format, filters, and ledger errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from cli.app import run_app
from cli.output import SIMULATED_NOTICE
from cli.profiles import register
from tests.test_profiles import ATLAS, LLAMA, NANO, write_scenario_ledger


def fresh_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """Test app (a callback keeps `profile` a subcommand)."""

    register(app)
    return app


@pytest.fixture
def ledger(mapelite_home: Path) -> Path:
    # The default ledger location, so commands need no --ledger.
    return write_scenario_ledger(mapelite_home / "ledger.jsonl")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run_app(fresh_app(), argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_profile_all_json_prints_the_report(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["profile", "--all", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] == 2
    assert [m["model"] for m in data["models"]] == ["mockllm/birch", NANO, LLAMA, ATLAS]
    assert data["models"][-1]["rank"] is None  # 2 of 8 harnesses: ranked apart


def test_profile_all_markdown_marks_simulated(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["profile", "--all", "--format", "md"], capsys)
    assert code == 0
    assert out.startswith("# MAP-ELITE profiles")
    assert "| 1 | 1 | mockllm/birch | SIMULATED | 8/8 harnesses, 40 items |" in out
    assert "| — | — | mockllm/atlas | SIMULATED | 2/8 harnesses, 16 items (partial) |" in out


def test_profile_all_table_says_simulated(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["profile", "--all"], capsys)
    assert code == 0
    assert SIMULATED_NOTICE in out


def test_profile_all_out_writes_exports_and_plots(
    ledger: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "exports"
    code, out, _ = run(["profile", "--all", "--out", str(out_dir)], capsys)
    assert code == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "fitness_vs_price.png", "fitness_vs_price.svg", "harness_heatmap.png",
        "harness_heatmap.svg", "profiles.json", "profiles.md",
    ]  # fmt: skip
    assert f"wrote {out_dir / 'profiles.json'}" in out


def test_profile_of_one_model_as_json(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["profile", NANO, "--format", "json"], capsys)
    assert code == 0
    profile = json.loads(out)
    assert (profile["fitness"]["value"], profile["trend"], profile["rank"]) == (0.75, "n/a", 2)
    assert profile["fitness"]["n"] == 32 and profile["coverage"]["complete"] is True


def test_profile_of_one_simulated_model_says_simulated(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["profile", ATLAS], capsys)
    assert code == 0
    assert "SIMULATED" in out and "SENSE" in out
    assert "0.75 [0.3006, 0.9544] n=4" in out  # its latest SENSE (s2 worker), 3 of 4


def test_profile_filters_by_provider(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["profile", "--all", "--format", "json", "--provider", "ollama"], capsys)
    assert code == 0
    assert [m["model"] for m in json.loads(out)["models"]] == [LLAMA]


def test_profile_filters_by_run_and_dates(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["profile", "--all", "--format", "json", "--since", "2025-01-04", "--until",
            "2025-01-04T23:59:59Z", "--run-id", "s1"]  # fmt: skip
    code, out, _ = run(argv, capsys)
    assert code == 0
    data = json.loads(out)
    assert data["filters"]["run_id"] == "s1" and data["entries_used"] == 3


def test_unknown_model_is_one_line_error(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["profile", "mockllm/nobody"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "no results for setup 'mockllm/nobody'" in err


def test_bad_date_and_unknown_tier_are_one_line_errors(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["profile", "--all", "--since", "yesterday"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--since" in err
    code, _, err = run(["profile", "--all", "--tier", "tier9"], capsys)
    assert code == 2 and err.count("\n") == 1 and "unknown tier 'tier9'" in err


def test_neither_model_nor_all_is_an_error(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["profile"], capsys)
    assert code == 2 and "--all" in err


def test_missing_ledger_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["profile", "--all"], capsys)
    assert code == 1
    assert err.startswith("error: no ledger at ") and err.count("\n") == 1
    assert "Traceback" not in out + err


def test_corrupt_ledger_exits_1_naming_the_first_bad_index(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ledger.read_bytes().splitlines(keepends=True)
    ledger.write_bytes(b"".join([*lines[:10], lines[10][:-20] + b"\n", *lines[11:]]))
    code, _, err = run(["profile", "--all"], capsys)
    assert code == 1
    assert "corrupt at entry 10 " in err and err.count("\n") == 1


def test_empty_ledger_is_an_empty_report_not_an_error(
    mapelite_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (mapelite_home / "ledger.jsonl").write_bytes(b"")
    code, out, _ = run(["profile", "--all", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["models"] == []


def test_from_ledger_audits_the_ledger_itself_when_the_summary_index_was_edited(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import polars as pl

    from mapelite.ledger.summary import summary_path

    index = summary_path(ledger)
    rows = pl.read_csv(index, infer_schema=False)
    # An edit in the middle that keeps the row sequence and the last hash: not detectable
    # from the tails, which is why audits read the ledger.
    edited = rows.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("0.0"))  # nano's first entry scored 3 of 4
        .otherwise(pl.col("item_sum"))
        .alias("item_sum")
    )
    edited.write_csv(index)

    _, trusting, _ = run(["profile", "--all", "--format", "json"], capsys)
    code, audited, _ = run(["profile", "--all", "--format", "json", "--from-ledger"], capsys)
    assert code == 0
    truth = json.loads(audited)
    assert json.loads(trusting)["models"] != truth["models"]
    assert [m["model"] for m in truth["models"]][:2] == ["mockllm/birch", NANO]
