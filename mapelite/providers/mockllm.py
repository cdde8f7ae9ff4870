"""``mockllm/<name>``: an offline simulated model for the ``demo`` tier, tests and benches.

It plays the model of `mapelite.providers.simulation` (SIMULATED): per-harness skills around the
catalog's ``skill``, item difficulty, errors shared within a family, an aggregation skill apart
from answering, reasoning settings that raise skill and thinking tokens, and drawn token counts
and latency. A right answer is the item's ``reference``, a wrong one its ``near_miss``. Every
draw is a hash of (model, setting, harness, item, seed), so a run is reproducible. Results are
marked simulated.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

from mapelite.harnesses.base import estimate_tokens
from mapelite.providers.base import GenerateRequest, GenerateResponse, ModelAPI, SimulationHint
from mapelite.providers.simulation import (
    DEFAULT_SKILL,
    Profile,
    Simulator,
    Spreads,
    draw,
    label,
    profile_for,
)
from mapelite.schemas import ReasoningSetting

__all__ = ["DEFAULT_SKILL", "FALLBACK_ANSWER", "MockLLMAPI", "draw", "majority"]

FALLBACK_ANSWER = "OK"


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

    def __init__(
        self, *, latency_s: float = 0.0, seed: int = 0, spreads: Spreads | None = None
    ) -> None:
        self.latency_s = latency_s
        self.seed = seed
        self.simulator = Simulator(spreads)
        self._profiles: dict[str, Profile] = {}

    def skill(self, name: str) -> float:
        """The model's mean share of right answers at setting ``off`` (the catalog's)."""
        return lookup_skill(f"mockllm/{name}")

    def profile(self, name: str) -> Profile:
        if name not in self._profiles:
            self._profiles[name] = profile_for(name, self.skill(name))
        return self._profiles[name]

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        text = self.answer(request.model, request.hint, request.reasoning)
        prompt = "".join(m.content for m in request.messages)
        visible, thinking = self.output_tokens(request.model, request.hint, request.reasoning)
        answer_tokens = estimate_tokens(text)
        if request.hint is not None:
            # The visible answer stays within the harness's expected completion, which is what
            # the budget reserves per item (tasks.budget); thinking is reserved apart.
            from mapelite.harnesses import get_harness

            expected = get_harness(request.hint.harness_id).expected_completion_tokens
            visible = max(0, min(visible, expected - answer_tokens))
        return GenerateResponse(
            text=text,
            tokens_in=estimate_tokens(prompt),
            tokens_out=answer_tokens + visible + thinking,
            reasoning_tokens=thinking,
            simulated=True,
            finish_reason="stop",
        )

    def output_tokens(
        self, name: str, hint: SimulationHint | None, reasoning: ReasoningSetting | None
    ) -> tuple[int, int]:
        """(visible tokens beyond the answer text, thinking tokens) of one call."""
        if hint is None:
            return 0, 0
        key = f"{name}|{label(reasoning)}|{hint.harness_id}|{hint.item_id}|{hint.seed}|{hint.role}"
        return self.simulator.output_tokens(self.profile(name), reasoning, key)

    def answer(
        self,
        name: str,
        hint: SimulationHint | None,
        reasoning: ReasoningSetting | None = None,
    ) -> str:
        if hint is None:
            return FALLBACK_ANSWER
        reference, near_miss = hint.reference, hint.near_miss
        if reference is None or near_miss is None:
            from mapelite.harnesses import get_harness

            item = get_harness(hint.harness_id).item(hint.item_id)
            reference, near_miss = item.reference, item.near_miss
        seed = hint.seed + self.seed
        profile = self.profile(name)
        upstream = [a.strip() for a in hint.upstream_answers if a.strip()]
        if hint.role in ("aggregator", "consumer") and upstream:
            right = sum(1 for a in upstream if a == reference.strip())
            correct = self.simulator.aggregates_right(
                profile, reasoning, hint.harness_id, hint.item_id, seed, right, len(upstream)
            )
        else:
            correct = self.simulator.answers_right(
                profile, reasoning, hint.harness_id, hint.item_id, seed
            )
        return reference if correct else near_miss
