"""Swarm planning: stage widths, roles, models, upstream wiring, unit keys, scores."""

from __future__ import annotations

import pytest

from mapelite.errors import InvalidInputError
from mapelite.schemas import HarnessResult, ItemOutcome, ResultMetadata, Scores
from mapelite.swarm.plan import (
    agent_context,
    is_done,
    plan_stages,
    swarm_scores,
    unit_key,
    upstream_answers,
)

MODELS = [f"mockllm/m{i}" for i in range(8)]


def result(
    model: str,
    normalized: float,
    *,
    error: str | None = None,
    items: list[ItemOutcome] | None = None,
) -> HarnessResult:
    return HarnessResult(
        harness_id=0,
        harness_name="SENSE",
        model=model,
        scores=Scores(raw=normalized * len(items or [1]), normalized=normalized),
        metadata=ResultMetadata(run_id="r", error=error, items=items or []),
    )


def test_unit_key_is_deterministic_and_distinct_per_unit() -> None:
    assert unit_key("r1", 0, 3, 7) == unit_key("r1", 0, 3, 7)
    keys = {
        unit_key("r1", s, a, h, rep)
        for s in range(2)
        for a in range(8)
        for h in range(8)
        for rep in range(2)
    }
    assert len(keys) == 2 * 8 * 8 * 2
    assert unit_key("r1", 0, 0, 0, 0) == "r1/s0/a0/h0"


def test_scatter_gather_has_eight_workers_then_one_aggregator_on_the_lead() -> None:
    workers, aggregator = plan_stages((8, 1), MODELS)
    assert [a.model for a in workers.agents] == MODELS
    assert {a.role for a in workers.agents} == {"worker"}
    assert aggregator.role == "aggregator"
    assert aggregator.agents[0].model == MODELS[0]
    assert aggregator.agents[0].upstream_agents == tuple(range(8))


def test_broadcast_consumers_each_read_the_single_source() -> None:
    source, consumers = plan_stages((1, 8), MODELS, lead="mockllm/lead")
    assert source.agents[0].model == "mockllm/lead"
    assert consumers.role == "consumer"
    assert [a.upstream_agents for a in consumers.agents] == [(0,)] * 8


def test_agents_cycle_through_a_tier_smaller_than_the_stage() -> None:
    (stage,) = plan_stages((64,), MODELS[:3])
    assert [a.model for a in stage.agents[:6]] == MODELS[:3] * 2
    assert stage.role == "single"


def test_double_diamond_roles_in_stage_order() -> None:
    plans = plan_stages((8, 1, 8, 1), MODELS)
    assert [p.role for p in plans] == ["worker", "aggregator", "consumer", "aggregator"]
    assert [p.width for p in plans] == [8, 1, 8, 1]


def test_same_width_stages_are_one_to_one_consumers() -> None:
    _, second = plan_stages((8, 8), MODELS)
    assert second.role == "consumer"
    assert [a.upstream_agents for a in second.agents] == [(i,) for i in range(8)]


def test_narrower_stage_aggregates_its_slice_of_the_wider_one() -> None:
    _, narrow = plan_stages((64, 8), MODELS)
    assert narrow.role == "aggregator"
    assert narrow.agents[3].upstream_agents == tuple(range(3, 64, 8))


def test_empty_model_list_is_rejected() -> None:
    with pytest.raises(InvalidInputError):
        plan_stages((8, 1), [])


def test_aggregator_never_sees_failed_answers() -> None:
    good = result("mockllm/a", 1.0, items=[ItemOutcome(item_id="i1", answer="42", score=1.0)])
    failed_run = result(
        "mockllm/b", 0.0, error="timeout", items=[ItemOutcome(item_id="i1", answer="x", score=0)]
    )
    failed_item = result(
        "mockllm/c",
        0.0,
        items=[ItemOutcome(item_id="i1", answer="boom", score=0, error="HTTP 500")],
    )
    assert upstream_answers([good, failed_run, failed_item]) == {"i1": ["42"]}
    _, aggregator = plan_stages((3, 1), MODELS)
    context = agent_context(
        "r", ":10", aggregator.agents[0], 0, {0: good, 1: failed_run, 2: failed_item}
    )
    assert context.upstream_answers == {"i1": ["42"]}
    assert context.upstream == [unit_key("r", 0, i, 0) for i in range(3)]
    assert context.role == "aggregator"
    assert context.unit_key == unit_key("r", 1, 0, 0)


def test_failed_units_are_not_done_so_resume_reruns_them() -> None:
    assert is_done(result("mockllm/a", 0.2))
    assert not is_done(result("mockllm/a", 0.0, error="unavailable"))
    assert not is_done(None)


def test_swarm_score_gain_and_best_single_agent() -> None:
    plans = plan_stages((2, 1), MODELS)
    results = {
        unit_key("r", 0, 0, 0): result(MODELS[0], 0.2),
        unit_key("r", 0, 1, 0): result(MODELS[1], 0.6),
        unit_key("r", 1, 0, 0): result(MODELS[0], 0.8),
    }
    score, gain, best = swarm_scores(plans, results, "r", [0])
    assert score == pytest.approx(0.8)
    assert gain == pytest.approx(0.8 - 0.4)
    assert best is not None and best.model == MODELS[1] and best.score == pytest.approx(0.6)
