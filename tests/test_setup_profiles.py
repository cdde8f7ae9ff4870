"""Profiles per setup: ``model@low`` and ``model@high`` are two profiles; a setup's truncation
rate (answers cut off at their token budget), its cost against the pre-run estimate, who served
it (and ``--by-provider`` apart), the same from the summary index and from the ledger itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from cli.app import run_app
from mapelite.ledger.chain import Ledger
from mapelite.ledger.summary import summary_path
from mapelite.schemas import HARNESS_NAMES, HarnessResult
from profiles.rollup import build_report
from tests.test_profiles_cli import fresh_app

NANO = "openrouter/openai/gpt-5-nano"


def entry(
    reasoning: str | None,
    finishes: str,
    *,
    served_by: str = "OpenAI",
    run_id: str = "r-1",
    cost: float = 0.002,
    expected: float | None = 0.001,
    harness_id: int = 7,
) -> HarnessResult:
    """One harness run of NANO at ``reasoning``: an item per letter of ``finishes`` (``s``: a
    right answer that stopped, ``l``: cut off at the budget, an empty answer scoring 0)."""
    items: list[dict[str, Any]] = [
        {
            "item_id": f"decide-0{i}",
            "answer": "42" if mark == "s" else "",
            "score": 1.0 if mark == "s" else 0.0,
            "finish_reason": "stop" if mark == "s" else "length",
            "tokens_out": 40 if mark == "s" else 600,
            "reasoning_tokens": 0 if mark == "s" else 600,
            "served_by": served_by,
        }
        for i, mark in enumerate(finishes, start=1)
    ]
    raw = sum(item["score"] for item in items)
    return HarnessResult(
        harness_id=harness_id,
        harness_name=HARNESS_NAMES[harness_id],
        model=NANO,
        scores={"raw": raw, "normalized": raw / len(items)},
        metadata={
            "run_id": run_id,
            "unit_key": f"{run_id}/s0/a0/h{harness_id}",
            "reasoning": reasoning,
            "cost_usd": cost,
            "cost_expected_usd": expected,
            "items": items,
        },
    )


@pytest.fixture
def ledger(mapelite_home: Path) -> Path:
    path = mapelite_home / "ledger.jsonl"
    book = Ledger(path)
    book.append(entry("minimal", "slll", served_by="OpenAI", run_id="r-1"))
    book.append(entry("minimal", "ssll", served_by="Azure", run_id="r-2"))
    book.append(entry("high", "ssss", run_id="r-3", cost=0.004, expected=0.002))
    book.append(entry(None, "ssss", run_id="r-4", expected=None))
    return path


def test_each_reasoning_setting_of_a_model_is_its_own_profile(ledger: Path) -> None:
    report = build_report(ledger)
    assert [m.model for m in report.models] == [NANO, f"{NANO}@high", f"{NANO}@minimal"]
    low = report.model(f"{NANO}@minimal")
    assert low is not None and low.harnesses[0].average is not None
    assert low.harnesses[0].average.value == 3 / 8  # its own items only
    high = report.model(f"{NANO}@high")
    assert high is not None and high.harnesses[0].average is not None
    assert high.harnesses[0].average.value == 1.0


def test_a_budget_too_small_shows_as_the_setups_truncation_rate(ledger: Path) -> None:
    report = build_report(ledger)
    minimal, high = report.model(f"{NANO}@minimal"), report.model(f"{NANO}@high")
    assert minimal is not None and high is not None
    assert (minimal.truncated_items, minimal.truncation_rate) == (5, 5 / 8)
    assert (high.truncated_items, high.truncation_rate) == (0, 0.0)


def test_cost_against_the_estimate_is_reported_per_setup(ledger: Path) -> None:
    report = build_report(ledger)
    minimal, plain = report.model(f"{NANO}@minimal"), report.model(NANO)
    assert minimal is not None and plain is not None
    assert minimal.cost_usd == 0.004 and minimal.cost_expected_usd == 0.002
    assert minimal.cost_drift == 2.0
    assert plain.cost_drift is None  # no entry carries an estimate: no drift is claimed


def test_the_summary_index_and_the_ledger_give_the_same_setup_profiles(ledger: Path) -> None:
    from_summary = build_report(ledger)
    assert summary_path(ledger).is_file()
    summary_path(ledger).unlink()
    rebuilt = build_report(ledger)  # the summary rebuilt by polars from the ledger
    direct = build_report(ledger, use_summary=False)
    for report in (rebuilt, direct):
        assert report.models == from_summary.models


def test_by_provider_splits_a_setup_by_who_served_it(ledger: Path) -> None:
    report = build_report(ledger, by_provider=True)
    parts = report.setup_parts(f"{NANO}@minimal")
    assert [(p.model, p.truncation_rate) for p in parts] == [
        (f"{NANO}@minimal via Azure", 0.5),
        (f"{NANO}@minimal via OpenAI", 0.75),
    ]
    merged = build_report(ledger).model(f"{NANO}@minimal")
    assert merged is not None and merged.served_by == ["Azure", "OpenAI"]


def test_profile_prints_a_setups_truncation_rate_and_its_providers_apart(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_app(fresh_app(), ["profile", f"{NANO}@minimal"])
    out = capsys.readouterr().out
    assert code == 0
    assert "62.5% (5/8)" in out and "2.00x" in out
    code = run_app(fresh_app(), ["profile", f"{NANO}@minimal", "--by-provider"])
    out = capsys.readouterr().out
    assert code == 0
    assert "via Azure" in out and "50.0% (2/4)" in out
    assert "via OpenAI" in out and "75.0% (3/4)" in out


def test_compare_pairs_two_settings_of_one_model_as_two_setups(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mapelite.stats.compare import compare, entries_mentioning

    low, high = f"{NANO}@minimal", f"{NANO}@high"
    report = compare(entries_mentioning(ledger, [low, high]), low, high)
    assert (report.a.entries, report.b.entries) == (2, 1)
    assert report.overall.n == 4  # decide-01..04, answered by both
    assert report.overall.a_mean == pytest.approx((1 + 0.5 + 0 + 0) / 4)
    assert report.overall.b_mean == 1.0
    code = run_app(fresh_app_with_compare(), ["compare", low, high])
    out = capsys.readouterr().out
    assert code == 0 and f"A = {low}" in out and "verdict: " in out


def fresh_app_with_compare() -> typer.Typer:
    from cli import compare

    app = fresh_app()
    compare.register(app)
    return app
