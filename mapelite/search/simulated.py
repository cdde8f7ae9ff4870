"""Racing against the simulator in-process (SIMULATED): no HTTP, no Prefect, thousands of
setup-items a second. Every answer comes from `MockLLMAPI.answer` with the hint the local
runner would send, so a setup answers here as it does through the flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from mapelite.catalog.cost import call_cost_usd
from mapelite.catalog.models import Catalog, load_catalog
from mapelite.harnesses.base import estimate_tokens
from mapelite.providers.base import SimulationHint
from mapelite.providers.mockllm import MockLLMAPI, majority
from mapelite.providers.simulation import label
from mapelite.schemas import split_model_id
from mapelite.search.archive import ItemResult
from mapelite.search.costs import mean_tokens, setup_cost
from mapelite.search.racing import (
    CostOf,
    Gate,
    GenerationPlan,
    Race,
    RaceConfig,
    call_seed,
    generation_item_seed,
)
from mapelite.search.setups import Setup, SetupSpace


@dataclass(frozen=True)
class SimItem:
    harness_id: int
    item_id: str
    reference: str
    near_miss: str
    prompt_tokens: int
    right_score: float = 1.0
    wrong_score: float = 0.0


ItemsOf = Callable[[int, int, int], Sequence[SimItem]]


@lru_cache(maxsize=256)
def bank_items(harness_id: int, n: int, seed: int, bank: str = "gen") -> tuple[SimItem, ...]:
    """A sample of a bank, as the flow's units answer it (scored by the harness's scorer)."""
    from mapelite.banks.registry import sample_items

    return tuple(
        SimItem(
            harness_id,
            item.id,
            item.reference,
            item.near_miss,
            estimate_tokens(item.prompt),
            item.score(item.reference),
            item.score(item.near_miss),
        )
        for item in sample_items(harness_id, n, seed, bank=bank)
    )


def synthetic_items(harness_id: int, n: int, seed: int) -> tuple[SimItem, ...]:
    """Items that exist only for the simulator (scored 0/1): the statistical tests draw many
    fresh samples, faster than a bank generates them."""
    return tuple(
        SimItem(harness_id, f"sim-{harness_id}-{seed}-{i}", "right", "wrong", 120)
        for i in range(n)
    )


class SimulatedEvaluator:
    """Answers a race's generations with the simulator; costs from catalog prices."""

    def __init__(
        self,
        config: RaceConfig,
        api: MockLLMAPI | None = None,
        items_of: ItemsOf | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.config = config
        self.api = api or MockLLMAPI()
        self.items_of = items_of or bank_items
        self.catalog = catalog or load_catalog()

    def items(self, harness_id: int, generation: int, confirmation: bool) -> Sequence[SimItem]:
        n = self.config.confirm_items if confirmation else self.config.round_items
        return self.items_of(harness_id, n, generation_item_seed(self.config.seed, generation))

    def run(self, plan: GenerationPlan, gate: Gate, worst: Callable[[Setup], float]) -> dict[str, list[ItemResult]]:
        out: dict[str, list[ItemResult]] = {}
        for harness_id in self.config.harness_ids:
            items = self.items(harness_id, plan.index, plan.confirmation)
            for setup in plan.setups:
                cost, calls = worst(setup), setup.calls_per_item
                for item in items:
                    if not gate.admit(cost, calls):
                        break
                    result = self.answer(setup, item, plan.index)
                    gate.spend(result.cost_usd, result.calls)
                    out.setdefault(setup.name, []).append(result)
        return out

    def answer(self, setup: Setup, item: SimItem, generation: int) -> ItemResult:
        """One setup's answer to one item: every call of every stage, as the runner makes them."""
        api, seed = self.api, self.config.seed
        previous: list[str] = []
        usd = latency = 0.0
        calls = 0
        for stage_index, stage in enumerate(setup.stages()):
            answers: list[str] = []
            slowest = 0.0
            for agent_index, member in enumerate(stage):
                shown = tuple(previous[i] for i in member.reads if i < len(previous))
                name = split_model_id(member.agent.model)[1]
                setting = member.agent.setting
                hint = SimulationHint(
                    harness_id=item.harness_id,
                    item_id=item.item_id,
                    role=member.role,
                    upstream_answers=shown,
                    seed=call_seed(seed, generation, stage_index, agent_index),
                    reference=item.reference,
                    near_miss=item.near_miss,
                )
                text = api.answer(name, hint, setting)
                visible, thinking = api.output_tokens(name, hint, setting)
                tokens_out = estimate_tokens(text) + visible + thinking
                tokens_in = item.prompt_tokens + sum(estimate_tokens(a) for a in shown)
                usd += call_cost_usd(member.agent.model, tokens_in, tokens_out, catalog=self.catalog)
                key = f"{name}|{label(setting)}|{item.item_id}|{hint.seed}"
                slowest = max(slowest, api.simulator.latency_s(api.profile(name), tokens_out, key))
                calls += 1
                answers.append(text)
            latency += slowest
            previous = answers
        if setup.structure == "vote":
            tie = f"{setup.digest}|{item.harness_id}|{item.item_id}|{generation}"
            final = [majority(previous, tie_key=tie)]
        else:
            final = previous
        score = sum(_score(item, a) for a in final) / len(final)
        key = f"h{item.harness_id}/g{generation}/{item.item_id}"
        return ItemResult(key, score, usd, latency, calls)


def _score(item: SimItem, answer: str) -> float:
    return item.right_score if answer.strip() == item.reference.strip() else item.wrong_score


def cost_function(config: RaceConfig, catalog: Catalog | None = None) -> CostOf:
    """Setup -> its estimated cost per item on the race's harnesses (their mean)."""
    catalog = catalog or load_catalog()
    tokens = mean_tokens(config.harness_ids)
    return lambda setup: setup_cost(setup, tokens, catalog)


def simulated_race(
    space: SetupSpace,
    config: RaceConfig,
    api: MockLLMAPI | None = None,
    items_of: ItemsOf | None = None,
) -> Race:
    """A whole race against the simulator, in-process."""
    catalog = load_catalog()
    race = Race(space, config, cost_function(config, catalog))
    evaluator = SimulatedEvaluator(config, api, items_of, catalog)
    while (plan := race.plan()) is not None:
        results = evaluator.run(plan, race.gate(), lambda s: race.costs[s.name].worst_usd)
        race.observe(plan, results)
    return race
