"""Model and pattern profiles against a ledger whose every number was worked out by hand.

Every entry records its item outcomes (scores 1/0 written as a string, ``e`` = an item error).
SENSE items are the harness's real items (answered with their reference or near miss), so the
majority-vote verdict can score recorded answers with the real scorer.

- gpt-5-nano (real, $0.225/M): a1, all 8 harnesses ``1110`` -> each 0.75, fitness 0.75.
- ollama llama3.2:1b (real, free): b1 all 8 ``1000``, b2 all 8 ``1100`` -> latest 0.5, pooled
  average 0.375 (3 of 8).
- mockllm/birch ($0.105/M): d1 harnesses 0-6 ``1111`` (cost 0.0008 each) and DECIDE failed (every
  item an error: not a score); d2 DECIDE ``1110``; worker in s1 ``1000``, s2 (failed, no items),
  s3 ``1110`` (its latest SENSE, 0.75). Fitness (0.75 + 6.7 + 2 * 0.75) / 9.7 = 0.9227.
- mockllm/atlas ($0.12/M): c1 SENSE ``1111``, DECIDE ``1101`` (cost 0.0012 each): 2 of 8
  harnesses, partial coverage, no rank; worker in s1 ``1100``, s2 ``1110``.
- Swarms on SENSE: s1 ":10" workers atlas, birch, aggregator atlas ``1110`` (cost 0.004);
  s2 ":10" workers atlas, birch failed, aggregator atlas ``1111`` (cost 0.0035);
  s3 ":01" source birch ``1110``, consumers atlas ``1100``, birch ``0000`` (cost 0.003).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mapelite.errors import LedgerError
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.schemas import HARNESS_NAMES, HarnessResult
from mapelite.stats.core import wilson
from profiles.frame import EntryFilters
from profiles.rollup import build_report
from profiles.schema import Estimate, ModelProfile, Report

NANO = "openrouter/openai/gpt-5-nano"
LLAMA = "ollama/llama3.2:1b"
ATLAS = "mockllm/atlas"
BIRCH = "mockllm/birch"
ALL = tuple(HARNESS_NAMES)


def outcomes(harness_id: int, marks: str) -> list[dict[str, Any]]:
    """Item outcomes from marks: ``1`` right, ``0`` wrong, ``e`` an error (not a score)."""
    items = get_harness(harness_id).items
    found = []
    for item, mark in zip(items, marks, strict=False):
        real = harness_id == 0  # SENSE: the real answers, for the majority vote
        answer = (item.reference if mark == "1" else item.near_miss) if real else f"answer {mark}"
        found.append(
            {
                "item_id": item.id,
                "answer": None if mark == "e" else answer,
                "score": 1.0 if mark == "1" else 0.0,
                "error": "timeout" if mark == "e" else None,
            }
        )
    return found


def result(
    model: str,
    harness_id: int,
    marks: str,
    day: int,
    run_id: str,
    *,
    second: int = 0,
    cost: float = 0.0,
    error: str | None = None,
    **context: Any,
) -> HarnessResult:
    items = outcomes(harness_id, marks)
    raw = sum(i["score"] for i in items)
    return HarnessResult(
        harness_id=harness_id,
        harness_name=HARNESS_NAMES[harness_id],
        model=model,
        scores={"raw": raw, "normalized": raw / len(items) if items else 0.0},
        timestamp=f"2025-01-0{day}T10:00:{second:02d}Z",
        metadata={
            "run_id": run_id,
            "cost_usd": cost,
            "error": error,
            "simulated": model.startswith("mockllm/"),
            "items": items,
            **context,
        },
    )


def evaluation(model: str, marks: str, day: int, run_id: str, **kwargs: Any) -> list[HarnessResult]:
    return [result(model, h, marks, day, run_id, second=h, **kwargs) for h in ALL]


def swarm(
    model: str,
    marks: str,
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
    return result(model, 0, marks, day, run_id, second=second, cost=cost, error=error, **context)


def scenario_results() -> list[HarnessResult]:
    return [
        *evaluation(NANO, "1110", 1, "a1"),
        *evaluation(LLAMA, "1000", 1, "b1"),
        result(ATLAS, 0, "1111", 1, "c1", cost=0.0012),
        result(ATLAS, 7, "1101", 1, "c1", second=1, cost=0.0012),
        *evaluation(LLAMA, "1100", 2, "b2"),
        *(result(BIRCH, h, "1111", 2, "d1", second=h, cost=0.0008) for h in range(7)),
        result(BIRCH, 7, "eeee", 2, "d1", second=7, error="timeouts exhausted"),
        result(BIRCH, 7, "1110", 3, "d2"),
        swarm(ATLAS, "1100", 4, "s1", ":10", 0, 0, "worker", 0.001),
        swarm(BIRCH, "1000", 4, "s1", ":10", 0, 1, "worker", 0.001),
        swarm(ATLAS, "1110", 4, "s1", ":10", 1, 0, "aggregator", 0.002),
        swarm(ATLAS, "1110", 5, "s2", ":10", 0, 0, "worker", 0.001),
        swarm(BIRCH, "", 5, "s2", ":10", 0, 1, "worker", 0.0005, error="model unavailable"),
        swarm(ATLAS, "1111", 5, "s2", ":10", 1, 0, "aggregator", 0.002),
        swarm(BIRCH, "1110", 6, "s3", ":01", 0, 0, "worker", 0.001),
        swarm(ATLAS, "1100", 6, "s3", ":01", 1, 0, "consumer", 0.001),
        swarm(BIRCH, "0000", 6, "s3", ":01", 1, 1, "consumer", 0.001),
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


def wilson_estimate(right: int, n: int, size: int | None = None) -> Estimate:
    """The expected estimate of ``right`` of ``n`` 0/1 items (Wilson at ``size``, default n)."""
    size = size or n
    low, high = wilson(right / n * size, size)
    return Estimate(value=round(right / n, 4), n=n, ci_low=round(low, 4), ci_high=round(high, 4))


def test_every_harness_score_and_fitness_has_n_and_an_interval(report: Report) -> None:
    for profile in report.models:
        for harness in profile.harnesses:
            for estimate in (harness.latest, harness.average):
                assert estimate is not None
                assert estimate.ci_low <= estimate.value <= estimate.ci_high and estimate.n > 0
        if profile.fitness is not None:
            assert profile.fitness.ci_low <= profile.fitness.value <= profile.fitness.ci_high
    dumped = report.model_dump(mode="json")["models"][0]
    assert set(dumped["fitness"]) == {"value", "n", "ci_low", "ci_high"}
    assert set(dumped["harnesses"][0]["latest"]) == {"value", "n", "ci_low", "ci_high"}
    assert set(dumped["coverage"]) == {
        "complete", "harnesses_scored", "harnesses", "items_scored", "item_errors",
        "failed_entries",
    }  # fmt: skip


def test_one_evaluation_on_all_harnesses_has_wilson_intervals_and_a_fitness(report: Report) -> None:
    nano = profile_of(report, NANO)
    for harness in nano.harnesses:
        assert harness.latest == harness.average == wilson_estimate(3, 4)
    assert nano.fitness is not None and nano.fitness.value == 0.75 and nano.fitness.n == 32
    # Delta method: the harnesses' standard errors, weighted; narrower than one harness's CI.
    assert nano.fitness.ci_high - nano.fitness.ci_low < 0.5 * (
        wilson_estimate(3, 4).ci_high - wilson_estimate(3, 4).ci_low
    )
    assert nano.coverage.model_dump() == {
        "complete": True, "harnesses_scored": list(ALL), "harnesses": 8, "items_scored": 32,
        "item_errors": 0, "failed_entries": 0,
    }  # fmt: skip
    assert (nano.evaluations, nano.trend, nano.trend_slope) == (1, "n/a", None)
    assert nano.score_per_dollar == round(0.75 / 0.225, 4)


def test_repeated_items_do_not_narrow_the_pooled_average(report: Report) -> None:
    llama = profile_of(report, LLAMA)
    for harness in llama.harnesses:
        assert harness.latest == wilson_estimate(2, 4)
        # 3 of 8 answers right, but the same 4 items twice: Wilson at 4, not at 8.
        assert harness.average == wilson_estimate(3, 8, size=4)
    assert llama.fitness is not None and llama.fitness.value == 0.5
    assert llama.average_fitness is not None and llama.average_fitness.value == 0.375
    assert llama.on_pareto_frontier  # free


def test_a_failed_run_is_errors_not_zeros(report: Report) -> None:
    birch = profile_of(report, BIRCH)
    decide = next(h for h in birch.harnesses if h.harness == "DECIDE")
    assert decide.latest == decide.average == wilson_estimate(3, 4)
    assert (decide.entries, decide.item_errors) == (2, 4)
    assert birch.coverage.failed_entries == 2  # d1 DECIDE and the s2 worker
    assert birch.coverage.item_errors == 4
    sense = next(h for h in birch.harnesses if h.harness == "SENSE")
    assert sense.latest == wilson_estimate(3, 4)  # s3's worker, the latest SENSE with a score
    assert birch.fitness is not None and birch.fitness.value == 0.9227


def test_partial_coverage_has_no_fitness_and_no_rank_among_full_coverage_models(
    report: Report,
) -> None:
    atlas = profile_of(report, ATLAS)
    assert (atlas.rank, atlas.band, atlas.fitness, atlas.average_fitness) == (None,) * 4
    assert atlas.coverage.complete is False
    assert atlas.coverage.harnesses_scored == [0, 7]
    assert atlas.on_pareto_frontier is False and atlas.score_per_dollar is None


def test_models_are_ranked_by_fitness_in_bands_and_partial_coverage_comes_last(
    report: Report,
) -> None:
    assert [(m.model, m.rank) for m in report.models] == [
        (BIRCH, 1), (NANO, 2), (LLAMA, 3), (ATLAS, None),
    ]  # fmt: skip
    # 32 items each: 0.9227 [0.82, 1.0] vs 0.75 [0.63, 0.87] vs 0.5 differ significantly.
    assert [m.band for m in report.models] == [1, 2, 3, None]


def test_models_not_significantly_apart_share_a_band(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    for entry in [
        *evaluation(NANO, "1110", 1, "a1"),
        *evaluation(BIRCH, "1110", 1, "b1")[1:],
        result(BIRCH, 0, "1100", 1, "b1"),  # one SENSE item fewer: 0.7242 vs 0.75
        *evaluation(LLAMA, "1000", 1, "c1"),
    ]:
        ledger.append(entry)
    report = build_report(ledger.path)
    assert [(m.model, m.rank, m.band) for m in report.models] == [
        (NANO, 1, 1), (BIRCH, 2, 1), (LLAMA, 3, 2),
    ]  # fmt: skip


def test_trend_needs_five_complete_evaluations_and_reports_its_slope_interval(
    tmp_path: Path,
) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    marks = ["0000", "1000", "1000", "1100", "1110", "1111"]
    for day, mark in enumerate(marks, start=1):
        for entry in evaluation(NANO, mark, day, f"e{day}"):
            ledger.append(entry)
    nano = profile_of(build_report(ledger.path), NANO)
    fitness = [m.count("1") / 4 for m in marks]
    n = len(fitness)
    mean_x, mean_y = (n - 1) / 2, sum(fitness) / n
    slope = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(fitness)) / sum(
        (i - mean_x) ** 2 for i in range(n)
    )
    assert nano.evaluations == 6 and nano.trend == "improving"
    assert nano.trend_slope == round(slope, 4)
    assert nano.trend_ci_low is not None and nano.trend_ci_low > 0
    short = profile_of(build_report(ledger.path, EntryFilters(run_id="e6")), NANO)
    assert (short.trend, short.trend_slope, short.trend_ci_low) == ("n/a", None, None)


def test_pattern_profiles_as_worked_out(report: Report) -> None:
    rows = {p.pattern: p.model_dump(exclude={"verdicts", "item_sample"}) for p in report.patterns}
    assert list(rows) == [":01", ":10"]
    assert rows[":10"] == {
        "pattern": ":10",
        "tier": "demo",  # atlas and birch are both in the demo tier
        "members": [ATLAS, BIRCH],
        "harness_ids": [0],
        "simulated": True,
        "runs": 2,
        "swarm_score": wilson_estimate(7, 8, size=4).model_dump(),  # 1110 and 1111
        "coordination_gain": 0.3125,  # s1 0.75 - 3/8, s2 1.0 - 3/4 (birch failed: no score)
        "best_single_member": ATLAS,
        "best_single_member_score": 0.625,  # s1 0.5, s2 0.75
        "gain_over_best_single_member": 0.25,
        "cost_per_run_usd": 0.00375,
        "tier_best_model": BIRCH,  # d1 SENSE 1.0 ties c1's, and is cheaper
        "tier_best_model_score": 1.0,
        "tier_best_model_cost_per_run_usd": 0.0008,
        "score_per_extra_dollar": -42.3729,  # (0.875 - 1.0) / (0.00375 - 0.0008)
        "verdicts_run_id": "s2",
    }
    assert rows[":01"]["swarm_score"] == wilson_estimate(2, 8, size=4).model_dump()
    assert rows[":01"]["coordination_gain"] == -0.5
    assert rows[":01"]["best_single_member"] == BIRCH
    assert rows[":01"]["gain_over_best_single_member"] == -0.5
    item_samples = {p.item_sample for p in report.patterns}
    assert len(item_samples) == 1 and None not in item_samples  # the same 4 SENSE items


def test_pattern_rows_keep_runs_on_different_items_apart(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    for run_id, marks in (("s1", "1111"), ("s2", "11")):  # s2 answered 2 items, not 4
        ledger.append(swarm(ATLAS, marks, 4, run_id, ":10", 0, 0, "worker", 0.001))
        ledger.append(swarm(ATLAS, marks, 4, run_id, ":10", 1, 0, "aggregator", 0.001))
    rows = build_report(ledger.path).patterns
    assert [p.runs for p in rows] == [1, 1]
    assert len({p.item_sample for p in rows}) == 2


def test_swarm_verdicts_of_the_latest_run_are_in_the_report(report: Report) -> None:
    row = next(p for p in report.patterns if p.pattern == ":10")
    assert [v.baseline for v in row.verdicts] == [
        "mean first-stage agent", "best single member", "majority vote",
    ]  # fmt: skip
    # s2: aggregator 1111 against atlas's 1110 (birch failed): +0.25 on 4 items, not detectable.
    for verdict in row.verdicts:
        assert (verdict.n, verdict.difference, verdict.p_value) == (4, 0.25, 1.0)
        assert "no detectable difference" in verdict.sentence
    assert [v.extra_cost_usd for v in row.verdicts] == [0.00275, 0.0025, 0.002]


def test_report_header_counts_and_marks_simulated(report: Report, scenario: Path) -> None:
    assert report.schema_version == 2
    assert report.ledger_entries == 44
    assert report.entries_used == 44
    assert report.simulated is True
    assert report.fitness_weights["7"] == 2.0
    assert report.ledger_path == str(scenario)


def test_provider_filter_keeps_only_that_provider(scenario: Path) -> None:
    report = build_report(scenario, EntryFilters(provider="ollama"))
    assert [m.model for m in report.models] == [LLAMA]
    assert report.patterns == []
    assert report.simulated is False
    assert report.entries_used == 16


def test_tier_filter_keeps_only_the_tier_models(scenario: Path) -> None:
    report = build_report(scenario, EntryFilters(tier="demo"))
    assert {m.model for m in report.models} == {ATLAS, BIRCH}
    assert report.entries_used == 20


def test_date_range_filter_is_inclusive(scenario: Path) -> None:
    since = datetime(2025, 1, 2, tzinfo=UTC)
    until = datetime(2025, 1, 3, 10, 0, 0, tzinfo=UTC)
    report = build_report(scenario, EntryFilters(since=since, until=until))
    assert {m.model for m in report.models} == {LLAMA, BIRCH}
    birch = profile_of(report, BIRCH)
    # d1 (8 entries, DECIDE failed) and d2 at exactly 10:00:00: all 8 harnesses scored.
    assert (birch.evaluations, birch.entries, birch.failed_entries) == (2, 9, 1)
    assert birch.fitness is not None and birch.fitness.value == 0.9485  # (7.7 + 2 * 0.75) / 9.7


def test_run_filter_keeps_one_swarm_run(scenario: Path) -> None:
    report = build_report(scenario, EntryFilters(run_id="s1"))
    assert [(p.pattern, p.runs) for p in report.patterns] == [(":10", 1)]
    pattern = report.patterns[0]
    assert pattern.swarm_score == wilson_estimate(3, 4)
    assert pattern.best_single_member == ATLAS  # 1100 beats birch's 1000 in this run
    assert pattern.gain_over_best_single_member == 0.25
    assert pattern.tier_best_model is None  # no single-model run in this selection
    assert pattern.score_per_extra_dollar is None
    latest = {m.model: m.harnesses[0].latest for m in report.models}
    assert latest == {ATLAS: wilson_estimate(2, 4), BIRCH: wilson_estimate(1, 4)}
    assert all(m.rank is None for m in report.models)  # SENSE only: partial coverage


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
    lines[5] = lines[5].replace(b'"normalized":0.75', b'"normalized":0.99')
    scenario.write_bytes(b"".join(lines))
    with pytest.raises(LedgerError, match="corrupt at entry 5 ") as caught:
        build_report(scenario)
    assert caught.value.exit_code == 1
    assert "\n" not in str(caught.value)
