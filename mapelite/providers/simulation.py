"""The offline simulator's model of a language model (SIMULATED; what ``mockllm/<name>`` plays).

A probit item-response model with shared latents, so that swarms have something to discover:

- a model answers item i of harness h right when ``theta + eta_i + e > 0``, with ``e`` a
  standard normal noise term drawn per call from (model, setting, harness, item, seed, tag);
- ``theta`` = the model's per-harness skill: ``probit(skill) * SPREAD + offset[h] + boost``
  where ``skill`` is the catalog's (the model's mean share right over items), ``offset[h]`` a
  fixed per-harness deviation and ``boost`` what its reasoning setting adds;
- ``eta_i = -SIGMA_ITEM * difficulty_i + SIGMA_FAMILY * family_i + SIGMA_MODEL * own_i``: the
  item's difficulty (shared by every model), a family latent shared by the models of one family
  (they make the same mistakes) and the model's own latent (shared by its repeated samples, so a
  vote of one model gains less than a vote of independent models). Each is a standard normal
  drawn from the item id, so it is the same in every process and every run. ``SPREAD`` is chosen
  so that, averaged over items, a model at setting ``off`` is right with probability ``skill``;
- an aggregator (or consumer) shown ``k`` answers of which ``c`` are right answers right when
  ``EVIDENCE * (2c/k - 1) + (aggregation - RECOGNITION_FLOOR) * [c > 0]
  + JUDGEMENT * (2 own - 1) + e > 0``: ``aggregation`` (recognising a right answer among those
  shown) is a skill of its own, apart from answering, and ``own`` is its own (latent) answer;
- a wrong answer is the item's near miss; tokens and latency are drawn per call, and a reasoning
  setting adds thinking tokens (paid as output) as well as skill.

Given the latents, calls are independent: the expected score of any setup is an exact
computation per latent draw (`mapelite.search.truth`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Any

from mapelite.schemas import HARNESS_NAMES, ReasoningSetting

SIGMA_ITEM = 1.0
SIGMA_FAMILY = 0.7
SIGMA_MODEL = 0.5
HARNESS_OFFSET_SD = 0.3
JUDGEMENT = 0.6
EVIDENCE = 1.5
RECOGNITION_FLOOR = 1.0
DEFAULT_AGGREGATION = 1.5
DEFAULT_SKILL = 0.5

EFFORT_BOOST = {"off": 0.0, "minimal": 0.1, "low": 0.3, "medium": 0.45, "high": 0.6}
"""Probit units a reasoning effort adds to every harness skill (diminishing returns)."""
EFFORT_TOKENS = {"off": 0, "minimal": 60, "low": 300, "medium": 800, "high": 1800}
"""Mean thinking tokens per call at each effort (paid as output tokens)."""

_NORMAL = NormalDist()


def draw(*parts: object) -> float:
    """A deterministic uniform number in [0, 1) from the given parts."""
    return draws(1, *parts)[0]


def draws(n: int, *parts: object) -> tuple[float, ...]:
    """``n`` (at most 8) deterministic independent uniform numbers in [0, 1) from one hash."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8 * n).digest()
    return tuple(int.from_bytes(digest[8 * i : 8 * i + 8], "big") / 2**64 for i in range(n))


def _gauss(u: float) -> float:
    return _NORMAL.inv_cdf(min(max(u, 1e-12), 1 - 1e-12))


def normal(*parts: object) -> float:
    """A deterministic standard normal number from the given parts."""
    return _gauss(draw(*parts))


def probit(p: float) -> float:
    return _NORMAL.inv_cdf(min(max(p, 1e-6), 1 - 1e-6))


def phi(x: float) -> float:
    return _NORMAL.cdf(x)


@dataclass(frozen=True)
class Spreads:
    """The latent standard deviations (probit units). All zero: every call is an independent
    draw with probability = the model's per-harness skill."""

    item: float = SIGMA_ITEM
    family: float = SIGMA_FAMILY
    model: float = SIGMA_MODEL
    harness: float = HARNESS_OFFSET_SD

    @property
    def total(self) -> float:
        return math.sqrt(1 + self.item**2 + self.family**2 + self.model**2)


INDEPENDENT = Spreads(item=0.0, family=0.0, model=0.0, harness=0.0)


@dataclass(frozen=True)
class Profile:
    """One simulated model: what it knows, how it aggregates, how it talks."""

    name: str
    family: str
    skill: float
    aggregation: float = DEFAULT_AGGREGATION
    answer_tokens: int = 40
    """Mean visible output tokens beyond the bare answer (working, a sentence around it)."""
    latency_s: float = 0.4
    """Time to first token, seconds (simulated, reported, never slept)."""
    tokens_per_s: float = 80.0


DEMO_TRAITS: dict[str, tuple[str, float, int, float, float]] = {
    # name: (family, aggregation skill, answer tokens, latency s, tokens/s)
    "atlas": ("north", 1.6, 60, 0.6, 60.0),
    "birch": ("south", 2.4, 50, 0.5, 70.0),
    "cedar": ("north", 1.2, 45, 0.45, 80.0),
    "delta": ("east", 2.8, 40, 0.4, 90.0),
    "ember": ("south", 1.0, 35, 0.35, 100.0),
    "fjord": ("east", 2.0, 30, 0.3, 110.0),
    "gale": ("west", 0.8, 25, 0.25, 130.0),
    "harbor": ("west", 2.2, 20, 0.2, 150.0),
}
"""The demo tier's families and traits: aggregation skill is deliberately not ordered like
answering skill (delta and harbor read answers better than they write them)."""


def profile_for(name: str, skill: float) -> Profile:
    """The profile of simulated model ``name`` with base ``skill``; a name without traits is its
    own family with default traits."""
    traits = DEMO_TRAITS.get(name)
    if traits is None:
        return Profile(name=name, family=name, skill=skill)
    family, aggregation, tokens, latency, speed = traits
    return Profile(name, family, skill, aggregation, tokens, latency, speed)


def effort_of(setting: ReasoningSetting | None) -> tuple[float, int]:
    """(skill boost, mean thinking tokens) of a reasoning setting; None is ``off``."""
    if setting is None:
        return 0.0, 0
    if setting.effort is not None:
        return EFFORT_BOOST[setting.effort], EFFORT_TOKENS[setting.effort]
    budget = setting.budget_tokens or 0
    boost = EFFORT_BOOST["high"] * min(1.0, math.log2(1 + budget / 256) / math.log2(1 + 4096 / 256))
    return boost, int(budget * 0.7)


class Simulator:
    """Draws of the model above; every method is a pure function of its arguments."""

    def __init__(self, spreads: Spreads | None = None) -> None:
        self.spreads = spreads or Spreads()

    def theta(self, profile: Profile, harness_id: int, setting: ReasoningSetting | None) -> float:
        base = probit(profile.skill) * self.spreads.total
        offset = self.spreads.harness * harness_offset(profile.name, harness_id)
        return base + offset + effort_of(setting)[0]

    def eta(self, profile: Profile, harness_id: int, item_id: str) -> float:
        """The item's latent part for this model: -difficulty + family + own latent."""
        s = self.spreads
        return (
            -s.item * item_latent("difficulty", harness_id, item_id)
            + s.family * item_latent(f"family:{profile.family}", harness_id, item_id)
            + s.model * item_latent(f"model:{profile.name}", harness_id, item_id)
        )

    def p_right(
        self, profile: Profile, setting: ReasoningSetting | None, harness_id: int, item_id: str
    ) -> float:
        """Probability of a right answer given the item's latents."""
        return phi(
            self.theta(profile, harness_id, setting) + self.eta(profile, harness_id, item_id)
        )

    def answers_right(
        self,
        profile: Profile,
        setting: ReasoningSetting | None,
        harness_id: int,
        item_id: str,
        seed: int,
        tag: str = "answer",
    ) -> bool:
        p = self.p_right(profile, setting, harness_id, item_id)
        return draw(tag, profile.name, label(setting), harness_id, item_id, seed) < p

    def aggregates_right(
        self,
        profile: Profile,
        setting: ReasoningSetting | None,
        harness_id: int,
        item_id: str,
        seed: int,
        right: int,
        shown: int,
    ) -> bool:
        """Whether an aggregator (or consumer) shown ``shown`` answers, ``right`` of them
        right, gives the right answer."""
        u_own, u_out = draws(
            2, "aggregate", profile.name, label(setting), harness_id, item_id, seed
        )
        own = u_own < self.p_right(profile, setting, harness_id, item_id)
        return u_out < phi(aggregation_margin(profile.aggregation, right, shown, own))

    def output_tokens(
        self, profile: Profile, setting: ReasoningSetting | None, key: str
    ) -> tuple[int, int]:
        """(extra visible tokens, thinking tokens) of one call: log-normal around the means,
        capped at twice them."""
        u_visible, u_thinking = draws(2, "tokens", key)
        visible = profile.answer_tokens * min(2.0, math.exp(0.4 * _gauss(u_visible) - 0.08))
        thinking = effort_of(setting)[1] * min(2.0, math.exp(0.5 * _gauss(u_thinking) - 0.125))
        return int(visible), int(thinking)

    def latency_s(self, profile: Profile, tokens_out: int, key: str) -> float:
        jitter = math.exp(0.3 * normal("latency", key) - 0.045)
        return profile.latency_s * jitter + tokens_out / profile.tokens_per_s


def aggregation_margin(aggregation: float, right: Any, shown: int, own: Any) -> Any:
    """The probit margin of an aggregator's right answer (see the module doc): the share of
    right answers it is shown, its skill at recognising a right answer when one is shown (below
    ``RECOGNITION_FLOOR`` a poor aggregator is led away from it), and its own reading of the
    item. Plain arithmetic, so ``right`` and ``own`` may be numbers or numpy arrays."""
    evidence = (2 * right / shown - 1) if shown else 0 * right
    recognised = (aggregation - RECOGNITION_FLOOR) * (right > 0)
    return EVIDENCE * evidence + recognised + JUDGEMENT * (2 * own - 1)


def label(setting: ReasoningSetting | None) -> str:
    """A setting's name in draws: no setting is ``off`` (a plain simulated model thinks not)."""
    return "off" if setting is None else str(setting)


@lru_cache(maxsize=4096)
def harness_offset(name: str, harness_id: int) -> float:
    return normal("offset", name, harness_id)


@lru_cache(maxsize=200_000)
def item_latent(kind: str, harness_id: int, item_id: str) -> float:
    """A standard normal latent of an item (difficulty, a family's or a model's): a function of
    the item id alone, the same in every run."""
    return normal(kind, HARNESS_NAMES[harness_id], item_id)
