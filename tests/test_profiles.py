"""Model and pattern profiles against a ledger whose every number was worked out by hand.

The scenario (all written through `Ledger.append`):

- gpt-5-nano (real, $0.225/M): runs a1, a2, a3 on SENSE (0) and DECIDE (7, weight 2):
  a1 0.5/0.5 -> fitness 0.5; a2 0.75/1.0 -> 0.916667; a3 1.0 / DECIDE failed (recorded 0.4,
  counts 0) -> 0.333333. Rising then falling.
- ollama llama3.2:1b (real, free): b1, b2, b3 at 0.2, 0.4, 0.6 on both harnesses: rising.
- mockllm/atlas (simulated, $0.12/M): single run c1 SENSE 0.85, DECIDE 0.95 (cost 0.0012 each);
  worker in swarms s1 (0.8) and s2 (0.6).
- mockllm/birch (simulated, $0.105/M): single run d1 SENSE 0.7 (cost 0.0008); worker in s1 (0.6),
  s2 (failed), s3 (0.9).
- Swarms on SENSE: s1 ":10" workers atlas 0.8, birch 0.6, aggregator atlas 1.0 (cost 0.004);
  s2 ":10" workers atlas 0.6, birch failed, aggregator atlas 0.8 (cost 0.0035);
  s3 ":01" source birch 0.9, consumers atlas 0.7, birch 0.4 (cost 0.003).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mapelite.errors import LedgerError
from mapelite.ledger import Ledger
from mapelite.schemas import HARNESS_NAMES, HarnessResult
from profiles.frame import EntryFilters
from profiles.rollup import build_report
from profiles.schema import ModelProfile, Report

NANO = "openrouter/openai/gpt-5-nano"
LLAMA = "ollama/llama3.2:1b"
ATLAS = "mockllm/atlas"
BIRCH = "mockllm/birch"


def result(
    model: str,
    harness_id: int,
    score: float,
    day: int,
    run_id: str,
    *,
    second: int = 0,
    cost: float = 0.0,
    error: str | None = None,
    **context: Any,
) -> HarnessResult:
    return HarnessResult(
        harness_id=harness_id,
        harness_name=HARNESS_NAMES[harness_id],
        model=model,
        scores={"raw": score * 5, "normalized": score},
        timestamp=f"2025-01-0{day}T10:00:{second:02d}Z",
        metadata={
            "run_id": run_id,
            "cost_usd": cost,
            "error": error,
            "simulated": model.startswith("mockllm/"),
            **context,
        },
    )


def swarm(
    model: str,
    score: float,
    day: int,
    run_id: str,
    pattern: str,
    stage: int,
    agent: int,
    role: str,
    cost: float,
    error: str | None = None,
) -> HarnessResult:
    context = {"pattern": pattern, "stage": stage, "agent": agent, "role": role}
    second = stage * 10 + agent
    return result(model, 0, score, day, run_id, second=second, cost=cost, error=error, **context)


def scenario_results() -> list[HarnessResult]:
    return [
        result(NANO, 0, 0.5, 1, "a1"),
        result(NANO, 7, 0.5, 1, "a1", second=1),
        result(LLAMA, 0, 0.2, 1, "b1"),
        result(LLAMA, 7, 0.2, 1, "b1", second=1),
        result(ATLAS, 0, 0.85, 1, "c1", cost=0.0012),
        result(ATLAS, 7, 0.95, 1, "c1", second=1, cost=0.0012),
        result(NANO, 0, 0.75, 2, "a2"),
        result(NANO, 7, 1.0, 2, "a2", second=1),
        result(LLAMA, 0, 0.4, 2, "b2"),
        result(LLAMA, 7, 0.4, 2, "b2", second=1),
        result(BIRCH, 0, 0.7, 2, "d1", cost=0.0008),
        result(NANO, 0, 1.0, 3, "a3"),
        result(NANO, 7, 0.4, 3, "a3", second=1, error="timeouts exhausted"),
        result(LLAMA, 0, 0.6, 3, "b3"),
        result(LLAMA, 7, 0.6, 3, "b3", second=1),
        swarm(ATLAS, 0.8, 4, "s1", ":10", 0, 0, "worker", 0.001),
        swarm(BIRCH, 0.6, 4, "s1", ":10", 0, 1, "worker", 0.001),
        swarm(ATLAS, 1.0, 4, "s1", ":10", 1, 0, "aggregator", 0.002),
        swarm(ATLAS, 0.6, 5, "s2", ":10", 0, 0, "worker", 0.001),
        swarm(BIRCH, 0.0, 5, "s2", ":10", 0, 1, "worker", 0.0005, error="model unavailable"),
        swarm(ATLAS, 0.8, 5, "s2", ":10", 1, 0, "aggregator", 0.002),
        swarm(BIRCH, 0.9, 6, "s3", ":01", 0, 0, "worker", 0.001),
        swarm(ATLAS, 0.7, 6, "s3", ":01", 1, 0, "consumer", 0.001),
        swarm(BIRCH, 0.4, 6, "s3", ":01", 1, 1, "consumer", 0.001),
    ]


def write_scenario_ledger(path: Path) -> Path:
    ledger = Ledger(path)
    for entry in scenario_results():
        ledger.append(entry)
    return path


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    return write_scenario_ledger(tmp_path / "ledger.jsonl")


@pytest.fixture
def report(scenario: Path) -> Report:
    return build_report(scenario)


def profile_of(report: Report, model: str) -> ModelProfile:
    found = report.model(model)
    assert found is not None, model
    return found


def harness_fields(profile: ModelProfile) -> dict[int, tuple[float, float, int]]:
    return {h.harness_id: (h.average, h.latest, h.entries) for h in profile.harnesses}


def test_rising_then_falling_model_has_every_field_as_worked_out(report: Report) -> None:
    nano = profile_of(report, NANO)
    assert nano.model_dump(exclude={"harnesses"}) == {
        "rank": 4,
        "model": NANO,
        "provider": "openrouter",
        "simulated": False,
        "latest_fitness": 0.3333,  # SENSE 1.0, DECIDE failed -> (1 + 2*0) / 3
        "average_fitness": 0.5833,  # (0.5 + 0.916667 + 0.333333) / 3
        "evaluations": 3,
        "entries": 6,
        "failed_entries": 1,
        "first_evaluated": "2025-01-01T10:00:00Z",
        "last_evaluated": "2025-01-03T10:00:01Z",
        "trend": "declining",  # slope of (0.5, 0.916667, 0.333333) = -0.083333
        "trend_slope": -0.0833,
        "price_per_m_usd": 0.225,  # (0.05 + 0.40) / 2
        "score_per_dollar": 1.4815,  # 0.333333 / 0.225
        "on_pareto_frontier": False,  # the free llama scores more
    }
    assert harness_fields(nano) == {0: (0.75, 1.0, 3), 7: (0.5, 0.0, 3)}
    assert [h.harness for h in nano.harnesses] == ["SENSE", "DECIDE"]


def test_rising_free_model_is_improving_and_on_the_frontier(report: Report) -> None:
    llama = profile_of(report, LLAMA)
    assert llama.model_dump(exclude={"harnesses"}) == {
        "rank": 3,
        "model": LLAMA,
        "provider": "ollama",
        "simulated": False,
        "latest_fitness": 0.6,
        "average_fitness": 0.4,
        "evaluations": 3,
        "entries": 6,
        "failed_entries": 0,
        "first_evaluated": "2025-01-01T10:00:00Z",
        "last_evaluated": "2025-01-03T10:00:01Z",
        "trend": "improving",
        "trend_slope": 0.2,
        "price_per_m_usd": 0.0,
        "score_per_dollar": None,  # free: score per dollar is unbounded, reported null
        "on_pareto_frontier": True,
    }
    assert harness_fields(llama) == {0: (0.4, 0.6, 3), 7: (0.4, 0.6, 3)}


def test_swarm_workers_count_as_evaluations_but_aggregators_do_not(report: Report) -> None:
    atlas = profile_of(report, ATLAS)
    assert atlas.model_dump(exclude={"harnesses"}) == {
        "rank": 2,
        "model": ATLAS,
        "provider": "mockllm",
        "simulated": True,
        "latest_fitness": 0.8333,  # SENSE 0.6 (s2 worker), DECIDE 0.95 -> (0.6 + 1.9) / 3
        "average_fitness": 0.7722,  # (0.916667 + 0.8 + 0.6) / 3
        "evaluations": 3,  # c1, s1, s2 (its s1/s2 aggregator and s3 consumer runs are not solo)
        "entries": 4,
        "failed_entries": 0,
        "first_evaluated": "2025-01-01T10:00:00Z",
        "last_evaluated": "2025-01-05T10:00:00Z",
        "trend": "declining",  # slope of (0.916667, 0.8, 0.6) = -0.158333
        "trend_slope": -0.1583,
        "price_per_m_usd": 0.12,
        "score_per_dollar": 6.9444,
        "on_pareto_frontier": False,  # birch is cheaper and better
    }
    assert harness_fields(atlas) == {0: (0.75, 0.6, 3), 7: (0.95, 0.95, 1)}


def test_flat_slope_with_a_failed_run_is_stable_and_failure_counts_zero(report: Report) -> None:
    birch = profile_of(report, BIRCH)
    assert birch.model_dump(exclude={"harnesses"}) == {
        "rank": 1,
        "model": BIRCH,
        "provider": "mockllm",
        "simulated": True,
        "latest_fitness": 0.9,
        "average_fitness": 0.55,  # (0.7 + 0.6 + 0 + 0.9) / 4
        "evaluations": 4,
        "entries": 4,
        "failed_entries": 1,
        "first_evaluated": "2025-01-02T10:00:00Z",
        "last_evaluated": "2025-01-06T10:00:00Z",
        "trend": "stable",  # slope of (0.7, 0.6, 0, 0.9) = 0
        "trend_slope": 0.0,
        "price_per_m_usd": 0.105,
        "score_per_dollar": 8.5714,
        "on_pareto_frontier": True,
    }
    assert harness_fields(birch) == {0: (0.55, 0.9, 4)}


def test_models_are_listed_by_rank(report: Report) -> None:
    assert [m.model for m in report.models] == [BIRCH, ATLAS, LLAMA, NANO]


def test_pattern_profiles_as_worked_out(report: Report) -> None:
    rows = {p.pattern: p.model_dump() for p in report.patterns}
    assert list(rows) == [":01", ":10"]
    assert rows[":10"] == {
        "pattern": ":10",
        "tier": "demo",  # atlas and birch are both in the demo tier
        "simulated": True,
        "runs": 2,
        "mean_swarm_score": 0.9,  # (1.0 + 0.8) / 2
        "coordination_gain": 0.4,  # ((1.0 - 0.7) + (0.8 - 0.3)) / 2
        "gain_over_best_single_member": 0.15,  # atlas solo SENSE 0.75: (0.25 + 0.05) / 2
        "cost_per_run_usd": 0.00375,
        "best_single_model": ATLAS,  # c1 SENSE 0.85 beats birch's d1 0.7
        "best_single_score": 0.85,
        "best_single_cost_per_run_usd": 0.0012,
        "score_per_extra_dollar": 19.6078,  # (0.9 - 0.85) / (0.00375 - 0.0012)
    }
    assert rows[":01"] == {
        "pattern": ":01",
        "tier": "demo",
        "simulated": True,
        "runs": 1,
        "mean_swarm_score": 0.55,
        "coordination_gain": -0.35,
        "gain_over_best_single_member": -0.2,
        "cost_per_run_usd": 0.003,
        "best_single_model": ATLAS,
        "best_single_score": 0.85,
        "best_single_cost_per_run_usd": 0.0012,
        "score_per_extra_dollar": -166.6667,  # (0.55 - 0.85) / (0.003 - 0.0012)
    }


def test_report_header_counts_and_marks_simulated(report: Report, scenario: Path) -> None:
    assert report.schema_version == 1
    assert report.ledger_entries == 24
    assert report.entries_used == 24
    assert report.simulated is True
    assert report.fitness_weights["7"] == 2.0
    assert report.ledger_path == str(scenario)


def test_provider_filter_keeps_only_that_provider(scenario: Path) -> None:
    report = build_report(scenario, EntryFilters(provider="ollama"))
    assert [m.model for m in report.models] == [LLAMA]
    assert report.patterns == []
    assert report.simulated is False
    assert report.entries_used == 6


def test_tier_filter_keeps_only_the_tier_models(scenario: Path) -> None:
    report = build_report(scenario, EntryFilters(tier="demo"))
    assert {m.model for m in report.models} == {ATLAS, BIRCH}
    assert report.entries_used == 12


def test_date_range_filter_is_inclusive(scenario: Path) -> None:
    since = datetime(2025, 1, 2, tzinfo=UTC)
    until = datetime(2025, 1, 3, 10, 0, 0, tzinfo=UTC)
    report = build_report(scenario, EntryFilters(since=since, until=until))
    nano = profile_of(report, NANO)
    # a2 both harnesses and a3's SENSE (10:00:00); a3's failed DECIDE at 10:00:01 is excluded
    assert (nano.evaluations, nano.entries, nano.failed_entries) == (2, 3, 0)
    assert nano.latest_fitness == 1.0  # SENSE 1.0 (a3), DECIDE 1.0 (a2)
    assert {m.model for m in report.models} == {NANO, LLAMA, BIRCH}


def test_run_filter_keeps_one_swarm_run(scenario: Path) -> None:
    report = build_report(scenario, EntryFilters(run_id="s1"))
    assert [(p.pattern, p.runs, p.mean_swarm_score) for p in report.patterns] == [(":10", 1, 1.0)]
    pattern = report.patterns[0]
    assert pattern.gain_over_best_single_member == 0.2  # atlas's only solo score here is 0.8
    assert pattern.best_single_model is None  # no single-model run in this selection
    assert pattern.score_per_extra_dollar is None
    assert {m.model: m.latest_fitness for m in report.models} == {ATLAS: 0.8, BIRCH: 0.6}


def test_empty_ledger_gives_an_empty_report(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b"")
    report = build_report(path)
    assert (report.models, report.patterns, report.ledger_entries) == ([], [], 0)
    assert report.simulated is False


def test_missing_ledger_is_a_ledger_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no ledger at") as caught:
        build_report(tmp_path / "absent.jsonl")
    assert caught.value.exit_code == 1


def test_corrupt_ledger_names_the_first_bad_index(scenario: Path) -> None:
    lines = scenario.read_bytes().splitlines(keepends=True)
    lines[5] = lines[5].replace(b'"normalized":0.95', b'"normalized":0.99')
    scenario.write_bytes(b"".join(lines))
    with pytest.raises(LedgerError, match="corrupt at entry 5 ") as caught:
        build_report(scenario)
    assert caught.value.exit_code == 1
    assert "\n" not in str(caught.value)
