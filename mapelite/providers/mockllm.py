"""``mockllm/<name>``: an offline simulated model for the ``demo`` tier, tests and benches.

Each simulated model has a skill in [0, 1] (from the catalog). Per item it answers the item's
``reference`` with probability = skill, else the item's ``near_miss``; the draw is a hash of
(model, harness, item, seed), so a run is reproducible. As an aggregator it returns the majority
of the answers it is shown; as a consumer it fixes the shown answer with probability = skill and
otherwise keeps it. Results are marked simulated.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Sequence

from mapelite.harnesses.base import estimate_tokens
from mapelite.providers.base import GenerateRequest, GenerateResponse, ModelAPI, SimulationHint

DEFAULT_SKILL = 0.5
FALLBACK_ANSWER = "OK"


def draw(*parts: object) -> float:
    """A deterministic uniform number in [0, 1) from the given parts."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def majority(answers: Sequence[str], *, tie_key: str) -> str:
    """The most common answer; a tie goes to the candidate with the smallest hash (stable)."""
    counts = Counter(a.strip() for a in answers if a.strip())
    if not counts:
        return FALLBACK_ANSWER
    best = max(counts.values())
    tied = [answer for answer, n in counts.items() if n == best]
    return min(tied, key=lambda answer: draw(tie_key, answer))


def lookup_skill(model_id: str) -> float:
    from mapelite.catalog.models import load_catalog

    skill = load_catalog().get(model_id).skill
    return DEFAULT_SKILL if skill is None else float(skill)


class MockLLMAPI(ModelAPI):
    provider = "mockllm"

    def __init__(self, *, latency_s: float = 0.0, seed: int = 0) -> None:
        self.latency_s = latency_s
        self.seed = seed
        self._skills: dict[str, float] = {}

    def skill(self, name: str) -> float:
        if name not in self._skills:
            self._skills[name] = lookup_skill(f"mockllm/{name}")
        return self._skills[name]

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        text = self.answer(request.model, request.hint)
        prompt = "".join(m.content for m in request.messages)
        return GenerateResponse(
            text=text,
            tokens_in=estimate_tokens(prompt),
            tokens_out=estimate_tokens(text),
            simulated=True,
        )

    def answer(self, name: str, hint: SimulationHint | None) -> str:
        if hint is None:
            return FALLBACK_ANSWER
        reference, near_miss = hint.reference, hint.near_miss
        if reference is None or near_miss is None:
            from mapelite.harnesses import get_harness

            item = get_harness(hint.harness_id).item(hint.item_id)
            reference, near_miss = item.reference, item.near_miss
        seed = hint.seed + self.seed
        upstream = [a for a in hint.upstream_answers if a.strip()]
        if hint.role == "aggregator" and upstream:
            return majority(upstream, tie_key=f"{name}|{hint.harness_id}|{hint.item_id}|{seed}")
        correct = draw(name, hint.harness_id, hint.item_id, seed) < self.skill(name)
        if hint.role == "consumer" and upstream:
            return reference if correct else upstream[0]
        return reference if correct else near_miss
