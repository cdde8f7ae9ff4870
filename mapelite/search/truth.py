"""The simulator's true expected score of any setup (SIMULATED ground truth for tests and
``map-elite simulate truth``).

Method: given an item's latents (difficulty, one latent per family, one per model), every call
of the simulator is an independent draw, so a setup's chance of a right answer is exact: a
single call is ``Phi(theta + eta)``; a vote of k is the binomial chance of a majority (a tie is
a coin flip, as the stable tie-break is over items); an aggregator's input is a Poisson-binomial
count of right answers; consumers are independent given the one answer they read. The
expectation over items is the mean of that exact probability over ``DRAWS`` latent draws from a
fixed generator — the same draws for every setup, so differences between setups are far more
precise than the ±0.003 (one standard error) of a single value. It is the probability of a right
answer: the expected score on harnesses scored 0/1 (all but SHAPE and DELIVER).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from mapelite.providers.simulation import Profile, Simulator, Spreads, aggregation_margin, phi
from mapelite.search.setups import Agent, Setup, StageAgent

DRAWS = 20_000
TRUTH_SEED = 20261206
Array = NDArray[np.float64]
ProfileOf = Callable[[str], Profile]


def _phi(x: Array) -> Array:
    from scipy.special import ndtr

    return np.asarray(ndtr(x), dtype=np.float64)


@lru_cache(maxsize=64)
def _latents(kind: str, draws: int) -> Array:
    """Standard normal latents of ``kind`` ("difficulty", "family:x", "model:y"), one per draw;
    each kind has its own stream so adding a model never changes another's latents."""
    seed = int.from_bytes(kind.encode(), "big") % 2**63
    return np.random.default_rng([TRUTH_SEED, seed]).standard_normal(draws)


class Truth:
    """Exact-given-latents expected scores of setups on one harness."""

    def __init__(
        self, profile_of: ProfileOf, spreads: Spreads | None = None, draws: int = DRAWS
    ) -> None:
        self.profile_of = profile_of
        self.simulator = Simulator(spreads)
        self.draws = draws

    def p_right(self, agent: Agent, harness_id: int) -> Array:
        """Per latent draw: the chance that ``agent`` answers right."""
        profile = self.profile_of(agent.model)
        s = self.simulator.spreads
        eta = (
            -s.item * _latents("difficulty", self.draws)
            + s.family * _latents(f"family:{profile.family}", self.draws)
            + s.model * _latents(f"model:{profile.name}", self.draws)
        )
        return _phi(self.simulator.theta(profile, harness_id, agent.setting) + eta)

    def score(self, setup: Setup, harness_id: int) -> float:
        """The setup's expected score on ``harness_id`` (see the module doc)."""
        return float(np.mean(self._item_scores(setup, harness_id)))

    def _item_scores(self, setup: Setup, harness_id: int) -> Array:
        stages = setup.stages()
        cache: dict[Agent, Array] = {}

        def right(stage_agent: StageAgent) -> Array:
            key = stage_agent.agent
            if key not in cache:
                cache[key] = self.p_right(key, harness_id)
            return cache[key]

        first = [right(a) for a in stages[0]]
        if setup.structure == "vote":
            return _majority(first)
        # A mixture over what the last width-1 stage said: (weight, right-chance per agent).
        states: list[tuple[Array, list[Array]]] = [(np.ones(self.draws), first)]
        for stage in stages[1:]:
            states = self._next(states, stage, right)
        return sum((w * sum(ps) / len(ps) for w, ps in states), start=np.zeros(self.draws))

    def _next(
        self,
        states: list[tuple[Array, list[Array]]],
        stage: list[StageAgent],
        right: Callable[[StageAgent], Array],
    ) -> list[tuple[Array, list[Array]]]:
        if len(stage) == 1:
            agent = stage[0]
            aggregation = self.profile_of(agent.agent.model).aggregation
            own = right(agent)
            q = sum(
                (
                    w * _aggregate([ps[i] for i in agent.reads], aggregation, own)
                    for w, ps in states
                ),
                start=np.zeros(self.draws),
            )
            return [(q, [np.ones(self.draws)]), (1 - q, [np.zeros(self.draws)])]
        # Consumers of one answer: independent given whether that answer is right.
        out: list[tuple[Array, list[Array]]] = []
        for w, ps in states:
            if len(ps) != 1:
                raise ValueError("a wide stage must follow a width-1 stage")
            out.append(
                (
                    w,
                    [
                        _aggregate([ps[0]], self.profile_of(a.agent.model).aggregation, right(a))
                        for a in stage
                    ],
                )
            )
        return out


def _count_distribution(ps: Sequence[Array]) -> Array:
    """P(c right) for c = 0..k, independent Bernoulli(ps) per draw (Poisson-binomial)."""
    dist = np.zeros((len(ps) + 1, len(ps[0])))
    dist[0] = 1.0
    for i, p in enumerate(ps):
        dist[1 : i + 2] = dist[1 : i + 2] * (1 - p) + dist[: i + 1] * p
        dist[0] = dist[0] * (1 - p)
    return dist


def _majority(ps: Sequence[Array]) -> Array:
    k = len(ps)
    dist = _count_distribution(ps)
    total = dist[k // 2 + 1 :].sum(axis=0)
    if k % 2 == 0:
        total = total + 0.5 * dist[k // 2]
    return np.asarray(total, dtype=np.float64)


def _aggregate(ps: Sequence[Array], aggregation: float, own: Array) -> Array:
    """P(an aggregator of ``aggregation`` skill answers right) shown answers right with
    chances ``ps``; ``own`` its own chance (simulation.aggregation_margin)."""
    k = len(ps)
    dist = _count_distribution(ps)
    total = np.zeros_like(own)
    for c in range(k + 1):
        if_own = phi(aggregation_margin(aggregation, c, k, True))
        if_not = phi(aggregation_margin(aggregation, c, k, False))
        total = total + dist[c] * (own * if_own + (1 - own) * if_not)
    return total


def simulator_truth(draws: int = DRAWS) -> Truth:
    """The truth of the shipped simulator (catalog skills, default spreads)."""
    from mapelite.providers.mockllm import MockLLMAPI
    from mapelite.schemas import split_model_id

    api = MockLLMAPI()
    return Truth(lambda model: api.profile(split_model_id(model)[1]), draws=draws)
