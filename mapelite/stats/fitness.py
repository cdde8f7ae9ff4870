"""Fitness: the weighted mean of a model's normalized harness scores, always in [0, 1]."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mapelite.errors import InvalidInputError

DEFAULT_WEIGHTS: dict[int, float] = {0: 1.0, 1: 1.0, 2: 1.5, 3: 1.0, 4: 1.2, 5: 1.0, 6: 1.0, 7: 2.0}


class FitnessWeights(BaseModel):
    """Weight per harness id (0-7); weights are finite and non-negative."""

    model_config = ConfigDict(frozen=True)

    weights: dict[int, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[int, float]) -> dict[int, float]:
        for harness_id, weight in value.items():
            if not 0 <= harness_id <= 7:
                raise ValueError(f"harness id {harness_id} is not in 0-7")
            if not 0 <= weight < float("inf"):
                raise ValueError(f"weight of harness {harness_id} must be finite and >= 0")
        return value

    def weight(self, harness_id: int) -> float:
        return self.weights.get(harness_id, 0.0)


def fitness(scores: Mapping[int, float], weights: FitnessWeights | None = None) -> float:
    """Weighted mean of ``scores`` (harness id -> normalized score) over the harnesses present.

    Scores are clamped to [0, 1]; with no score or no positive weight among those present the
    fitness is 0.0.
    """
    chosen = weights or FitnessWeights()
    total_weight = 0.0
    weighted = 0.0
    for harness_id, score in scores.items():
        if score != score:  # NaN: a score that cannot be trusted is an input error
            raise InvalidInputError(f"score of harness {harness_id} is not a number")
        weight = chosen.weight(harness_id)
        weighted += weight * min(1.0, max(0.0, score))
        total_weight += weight
    if total_weight <= 0:
        return 0.0
    # min() guards against rounding pushing the mean a hair above 1.
    return min(1.0, max(0.0, weighted / total_weight))
