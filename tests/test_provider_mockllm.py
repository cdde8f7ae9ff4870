"""mockllm/…: the offline simulator is deterministic, skill-driven and marked simulated."""

from __future__ import annotations

import pytest

from mapelite.config.settings import Settings
from mapelite.harnesses import HARNESSES, get_harness
from mapelite.providers import create_model_api
from mapelite.providers.base import ChatMessage, GenerateRequest, SimulationHint
from mapelite.providers.mockllm import MockLLMAPI, majority

ITEM = get_harness(0).items[0]


def request(name: str, hint: SimulationHint | None) -> GenerateRequest:
    return GenerateRequest(
        model=name, messages=(ChatMessage(role="user", content=ITEM.prompt),), hint=hint
    )


def hint(item_id: str = ITEM.id, harness_id: int = 0, **kw) -> SimulationHint:
    return SimulationHint(harness_id=harness_id, item_id=item_id, **kw)


async def test_answers_are_marked_simulated_with_token_estimates():
    api = create_model_api("mockllm/atlas", Settings())
    response = await api.generate(request("atlas", hint()))
    assert response.simulated is True
    assert response.text in (ITEM.reference, ITEM.near_miss)
    assert response.tokens_in == max(1, (len(ITEM.prompt) + 3) // 4)
    assert response.tokens_out >= 1


def test_same_model_item_and_seed_give_the_same_answer():
    api = MockLLMAPI()
    first = [api.answer("gale", hint(seed=s)) for s in range(20)]
    assert first == [api.answer("gale", hint(seed=s)) for s in range(20)]
    assert len(set(first)) == 2  # over seeds, gale is sometimes right and sometimes wrong


@pytest.mark.parametrize(("model", "skill"), [("atlas", 0.92), ("gale", 0.44)])
def test_share_of_correct_answers_follows_the_catalog_skill(model: str, skill: float):
    api = MockLLMAPI()
    items = [(h.id, item) for h in HARNESSES.values() for item in h.items]
    draws = [
        api.answer(model, hint(item.id, hid, seed=seed)) == item.reference
        for seed in range(10)
        for hid, item in items
    ]
    assert api.skill(model) == skill
    assert sum(draws) / len(draws) == pytest.approx(skill, abs=0.08)


def test_an_aggregator_is_right_more_often_the_more_right_answers_it_is_shown():
    api = MockLLMAPI()
    shares = []
    for right in (0, 2, 4):
        upstream = (ITEM.reference,) * right + (ITEM.near_miss,) * (4 - right)
        answers = [
            api.answer("harbor", hint(role="aggregator", upstream_answers=upstream, seed=s))
            for s in range(300)
        ]
        assert set(answers) <= {ITEM.reference, ITEM.near_miss}
        shares.append(answers.count(ITEM.reference) / len(answers))
    assert shares[0] < shares[1] < shares[2]


def test_majority_breaks_ties_deterministically():
    assert majority(["a", "b"], tie_key="k") == majority(["b", "a"], tie_key="k")


def test_a_consumer_keeps_a_right_answer_more_often_than_it_fixes_a_wrong_one():
    api = MockLLMAPI()

    def right_share(shown: str) -> float:
        answers = [
            api.answer("delta", hint(role="consumer", upstream_answers=(shown,), seed=s))
            for s in range(300)
        ]
        return answers.count(ITEM.reference) / len(answers)

    assert right_share(ITEM.reference) > right_share(ITEM.near_miss) > 0


def test_without_a_hint_the_simulator_says_ok():
    assert MockLLMAPI().answer("atlas", None) == "OK"
