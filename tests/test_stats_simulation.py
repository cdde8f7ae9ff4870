"""Do the intervals and tests hold on the offline simulator, whose true skills are known?

With its latent spreads at zero (`INDEPENDENT`), the mockllm simulator answers an item right
with probability = the model's skill, independently per (model, harness, item, seed): the
textbook setting these tests check the statistics in. These tests drive it and the harnesses'
real scorers directly (no Prefect: thousands of answers in well under a second).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.harnesses import get_harness
from mapelite.providers.base import SimulationHint
from mapelite.providers.mockllm import MockLLMAPI
from mapelite.providers.simulation import INDEPENDENT
from mapelite.schemas import HARNESS_NAMES, HarnessResult, ItemOutcome, Role
from mapelite.stats.compare import compare
from mapelite.stats.core import outcome_interval, paired_difference
from mapelite.stats.power import power_of
from mapelite.stats.verdicts import swarm_verdicts


class SkilledSimulator(MockLLMAPI):
    """The simulator with skills chosen by the test instead of read from the catalog."""

    def __init__(self, skills: dict[str, float]) -> None:
        super().__init__(spreads=INDEPENDENT)
        self.skills = skills

    def skill(self, name: str) -> float:
        return self.skills[name] if name in self.skills else super().skill(name)


def simulated_entry(
    simulator: MockLLMAPI,
    model: str,
    harness_id: int,
    seed: int,
    *,
    run_id: str = "run",
    role: Role = "single",
    stage: int = 0,
    agent: int = 0,
    upstream: dict[str, list[str]] | None = None,
    pattern: str | None = None,
) -> HarnessResult:
    harness = get_harness(harness_id)
    outcomes = []
    for item in harness.items:
        hint = SimulationHint(
            harness_id=harness_id,
            item_id=item.id,
            role=role,
            upstream_answers=tuple((upstream or {}).get(item.id, [])),
            seed=seed,
        )
        answer = simulator.answer(model.split("/", 1)[1], hint)
        outcomes.append(
            ItemOutcome(item_id=item.id, answer=answer, score=item.score(answer), cost_usd=0.001)
        )
    raw = sum(o.score for o in outcomes)
    return HarnessResult(
        harness_id=harness_id,
        harness_name=HARNESS_NAMES[harness_id],
        model=model,
        scores={"raw": raw, "normalized": raw / len(outcomes)},
        metadata={
            "run_id": run_id,
            "role": role,
            "stage": stage,
            "agent": agent,
            "pattern": pattern,
            "items": outcomes,
            "cost_usd": 0.001 * len(outcomes),
            "simulated": True,
        },
    )


def test_harness_score_interval_covers_the_true_skill_in_at_least_90_of_100_seeded_runs() -> None:
    catalog = load_catalog()
    simulator = MockLLMAPI(spreads=INDEPENDENT)
    for model in catalog.tier("demo"):
        skill = catalog.get(model).skill
        assert skill is not None
        for harness_id in (0, 7):  # items of both are scored 0/1 by exact match
            covered = 0
            for seed in range(100):
                entry = simulated_entry(simulator, model, harness_id, seed)
                interval = outcome_interval(entry.metadata.items)
                assert interval.n == len(get_harness(harness_id).items)
                covered += interval.ci_low <= skill <= interval.ci_high
            assert covered >= 90, (model, harness_id, covered)


BINARY_HARNESSES = (0, 1, 4, 5, 6, 7)  # scored 0/1 (SHAPE and DELIVER give partial credit)


def _shared_items(simulator: MockLLMAPI, model: str, seeds: Sequence[int]) -> list[float]:
    """One model's 0/1 scores on every item of the 0/1 harnesses under each seed; each
    (item, seed) is an independent draw of the simulator, i.e. its own item."""
    return [
        outcome.score
        for seed in seeds
        for harness_id in BINARY_HARNESSES
        for outcome in simulated_entry(simulator, model, harness_id, seed).metadata.items
    ]


def test_paired_comparison_of_models_010_apart_detects_at_the_predicted_power() -> None:
    skills = {"strong": 0.70, "weak": 0.60}
    simulator = SkilledSimulator(skills)
    trials, seeds_per_trial = 150, 5
    detected = 0
    n_items = 0
    for trial in range(trials):
        seeds = range(trial * seeds_per_trial, (trial + 1) * seeds_per_trial)
        a = _shared_items(simulator, "mockllm/strong", seeds)
        b = _shared_items(simulator, "mockllm/weak", seeds)
        n_items = len(a)
        result = paired_difference(a, b)
        assert result.method == "mcnemar"
        detected += result.significant and result.difference > 0
    # The two models' draws are independent: per-item variance of a - b is the sum of theirs.
    variance = sum(p * (1 - p) for p in skills.values())
    predicted = power_of(0.10, n_items, variance_of_difference=variance)
    assert 0.3 < predicted < 0.9  # a test of the prediction, not of a sure thing
    assert abs(detected / trials - predicted) <= 0.10, (detected / trials, predicted)


def test_compare_finds_the_stronger_simulated_model_and_says_so_in_words() -> None:
    simulator = SkilledSimulator({"strong": 0.95, "weak": 0.30})
    entries = [
        simulated_entry(simulator, model, harness_id, seed, run_id=f"r{seed}")
        for seed in range(12)
        for model in ("mockllm/strong", "mockllm/weak")
        for harness_id in (0, 7)
    ]
    report = compare(entries, "mockllm/strong", "mockllm/weak")
    assert [row.harness for row in report.harnesses] == ["SENSE", "DECIDE"]
    for row in report.harnesses:
        # Repeats of an item are one cluster: 6 items per harness, each answered 12 times.
        assert row.n == 6 and row.clusters == 6
        assert row.p_adjusted is not None and row.p_value is not None
        assert row.p_adjusted >= row.p_value
    assert report.overall.n == 12 and report.overall.difference is not None
    assert report.overall.difference > 0.4
    assert report.overall.significant
    assert "mockllm/strong better on" in report.verdict
    assert report.model_dump(mode="json")["overall"]["harness"] == "all"


def test_swarm_verdicts_pair_the_aggregator_with_its_first_stage_on_the_same_items() -> None:
    simulator = MockLLMAPI()
    tier = load_catalog().tier("demo")
    first = [
        simulated_entry(
            simulator, tier[agent], 7, 3, run_id="s", role="worker", agent=agent, pattern=":10"
        )
        for agent in range(8)
    ]
    upstream: dict[str, list[str]] = {}
    for entry in first:
        for outcome in entry.metadata.items:
            assert outcome.answer is not None
            upstream.setdefault(outcome.item_id, []).append(outcome.answer)
    aggregator = simulated_entry(simulator, tier[0], 7, 3, run_id="s", role="aggregator",
                                 stage=1, upstream=upstream, pattern=":10")  # fmt: skip
    result = swarm_verdicts([*first, aggregator])
    baselines = [v.baseline for v in result.verdicts]
    assert baselines == ["mean first-stage agent", "best single member", "majority vote"]
    majority = result.verdicts[2]
    # Paired on the six items both have: the aggregator's score against a free majority vote.
    assert majority.n == 6 and majority.swarm_score is not None
    assert majority.baseline_score is not None
    assert majority.difference == pytest.approx(majority.swarm_score - majority.baseline_score)
    assert majority.extra_cost_usd == pytest.approx(aggregator.metadata.cost_usd)
    assert "majority vote" in majority.sentence and "$0.0060 more" in majority.sentence
    best = result.best_single_member
    assert best is not None
    scores = {e.model: e.scores.normalized for e in first}
    assert best.score == max(scores.values())
    for verdict in result.verdicts:
        assert verdict.ci_low is not None and verdict.ci_high is not None
        assert verdict.ci_low <= (verdict.difference or 0.0) <= verdict.ci_high
