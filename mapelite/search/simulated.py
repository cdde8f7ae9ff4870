"""Racing against the simulator in-process (SIMULATED): no HTTP, no Prefect, numpy.

The same model as `mapelite.providers.simulation` (what ``mockllm`` plays call by call), drawn
for a whole generation at once: each generation is a fresh sample of simulated items (their
difficulty, family and model latents drawn per item), every call of a setup a vector of draws
over those items. Statistically the same as answering the calls one by one; fast enough for
the hundreds of searches the statistical tests run. Items are scored 0/1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from mapelite.catalog.models import Catalog, load_catalog
from mapelite.providers.mockllm import MockLLMAPI
from mapelite.providers.simulation import aggregation_margin, effort_of
from mapelite.schemas import split_model_id
from mapelite.search.archive import ItemResult
from mapelite.search.costs import mean_tokens, setup_cost
from mapelite.search.racing import CostOf, Gate, GenerationPlan, Race, RaceConfig
from mapelite.search.setups import Agent, Setup, SetupSpace

Array = NDArray[np.float64]
ANSWER_TOKENS = 12
"""Tokens of a bare simulated answer (the item's reference or near miss)."""
PROMPT_TOKENS = 120


def _phi(x: Array) -> Array:
    from scipy.special import ndtr

    return np.asarray(ndtr(x), dtype=np.float64)


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


class VectorSimulator:
    """One race's generations, answered by the simulator over arrays of items."""

    def __init__(
        self, config: RaceConfig, api: MockLLMAPI | None = None, catalog: Catalog | None = None
    ) -> None:
        self.config = config
        self.api = api or MockLLMAPI()
        self.catalog = catalog or load_catalog()

    def run(
        self, plan: GenerationPlan, gate: Gate, worst: Callable[[Setup], float]
    ) -> dict[str, list[ItemResult]]:
        n = self.config.confirm_items if plan.confirmation else self.config.round_items
        out: dict[str, list[ItemResult]] = {}
        for harness_id in self.config.harness_ids:
            latents: dict[str, Array] = {}
            for setup in plan.setups:
                score, usd, latency = self._answer(setup, harness_id, plan.index, n, latents)
                cost, calls = worst(setup), setup.calls_per_item
                for i in range(n):
                    if not gate.admit(cost, calls):
                        break
                    gate.spend(float(usd[i]), calls)
                    key = f"h{harness_id}/g{plan.index}/sim-{i}"
                    result = ItemResult(
                        key, float(score[i]), float(usd[i]), float(latency[i]), calls
                    )
                    out.setdefault(setup.name, []).append(result)
        return out

    def _latent(self, latents: dict[str, Array], kind: str, generation: int, n: int) -> Array:
        if kind not in latents:
            latents[kind] = _rng(self.config.seed, generation, kind).standard_normal(n)
        return latents[kind]

    def _answer(
        self, setup: Setup, harness_id: int, generation: int, n: int, latents: dict[str, Array]
    ) -> tuple[Array, Array, Array]:
        """(score, USD, latency) per item of one setup on a generation's items."""
        api, spreads = self.api, self.api.simulator.spreads
        difficulty = self._latent(latents, "difficulty", generation, n)
        previous: list[Array] = []
        usd = np.zeros(n)
        latency = np.zeros(n)
        for stage_index, stage in enumerate(setup.stages()):
            answers: list[Array] = []
            slowest = np.zeros(n)
            for agent_index, member in enumerate(stage):
                agent = member.agent
                name = split_model_id(agent.model)[1]
                profile = api.profile(name)
                eta = (
                    -spreads.item * difficulty
                    + spreads.family * self._latent(latents, f"f:{profile.family}", generation, n)
                    + spreads.model * self._latent(latents, f"m:{name}", generation, n)
                )
                p = _phi(api.simulator.theta(profile, harness_id, agent.setting) + eta)
                rng = _rng(
                    self.config.seed, generation, harness_id, setup.name, stage_index, agent_index
                )
                own = rng.random(n) < p
                shown = [previous[i] for i in member.reads]
                if shown:
                    right = np.sum(shown, axis=0)
                    margin = aggregation_margin(profile.aggregation, right, len(shown), own)
                    answer = rng.random(n) < _phi(margin)
                else:
                    answer = own
                tokens_out = self._tokens_out(profile.answer_tokens, agent, rng, n)
                tokens_in = PROMPT_TOKENS + ANSWER_TOKENS * len(shown)
                entry = self.catalog.get(agent.model)
                usd += (
                    tokens_in * entry.input_price_per_m + tokens_out * entry.output_price_per_m
                ) / 1e6
                jitter = np.exp(0.3 * rng.standard_normal(n) - 0.045)
                slowest = np.maximum(
                    slowest, profile.latency_s * jitter + tokens_out / profile.tokens_per_s
                )
                answers.append(answer.astype(np.float64))
            latency += slowest
            previous = answers
        if setup.structure == "vote":
            votes = np.sum(previous, axis=0)
            k = len(previous)
            coin = _rng(self.config.seed, generation, setup.name, "tie").random(n) < 0.5
            score = np.where(2 * votes == k, coin, 2 * votes > k).astype(np.float64)
        else:
            score = np.mean(previous, axis=0)
        return score, usd, latency

    @staticmethod
    def _tokens_out(answer_tokens: int, agent: Agent, rng: np.random.Generator, n: int) -> Array:
        visible = answer_tokens * np.minimum(2.0, np.exp(0.4 * rng.standard_normal(n) - 0.08))
        thinking = effort_of(agent.setting)[1] * np.minimum(
            2.0, np.exp(0.5 * rng.standard_normal(n) - 0.125)
        )
        return ANSWER_TOKENS + np.floor(visible) + np.floor(thinking)


def cost_function(config: RaceConfig, catalog: Catalog | None = None) -> CostOf:
    """Setup -> its estimated cost per item on the race's harnesses (their mean)."""
    catalog = catalog or load_catalog()
    tokens = mean_tokens(config.harness_ids)
    return lambda setup: setup_cost(setup, tokens, catalog)


def simulated_race(space: SetupSpace, config: RaceConfig, api: MockLLMAPI | None = None) -> Race:
    """A whole race against the simulator, in-process."""
    catalog = load_catalog()
    race = Race(space, config, cost_function(config, catalog))
    simulator = VectorSimulator(config, api, catalog)
    while (plan := race.plan()) is not None:
        results = simulator.run(plan, race.gate(plan), lambda s: race.costs[s.name].worst_usd)
        race.observe(plan, results)
    return race
