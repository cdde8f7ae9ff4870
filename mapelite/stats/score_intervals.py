"""The 95% intervals of the scores a run prints (swarm stages, batch models, the best single
member, an eval's fitness), from the runs' scored items (`mapelite.stats.core`; errors are not
scores)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from mapelite.schemas import HarnessResult, ItemOutcome
from mapelite.stats.core import Interval, mean_interval, outcome_interval, weighted_interval


class ScoreInterval(BaseModel):
    """The 95% interval of a printed mean score and the items it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int
    ci_low: float
    ci_high: float


def score_interval(results: Iterable[HarnessResult]) -> ScoreInterval | None:
    """Interval of `mean_score` over ``results``: per harness, the scored items of its runs
    pooled (repeats of an item and item families are clusters, `mapelite.stats.core`); across
    harnesses, weighted by the runs that scored (delta method). None when nothing scored."""
    items: dict[int, list[ItemOutcome]] = defaultdict(list)
    runs: Counter[int] = Counter()
    for result in results:
        scored = [o for o in result.metadata.items if o.scored]
        if scored:
            items[result.harness_id] += scored
            runs[result.harness_id] += 1
    parts = [(float(runs[h]), outcome_interval(outcomes)) for h, outcomes in items.items()]
    if not parts:
        return None
    n = sum(part.n for _, part in parts)
    if len(parts) == 1:
        return ScoreInterval(n=n, ci_low=parts[0][1].ci_low, ci_high=parts[0][1].ci_high)
    _, low, high = weighted_interval(parts)
    return ScoreInterval(n=n, ci_low=low, ci_high=high)


def fitness_interval(
    intervals: Mapping[int, Interval], weights: Mapping[int, float]
) -> tuple[float, float]:
    """95% CI of a fitness from its harness intervals (delta method, `weighted_interval`)."""
    _, low, high = weighted_interval([(weights.get(h, 0.0), i) for h, i in intervals.items()])
    return low, high


def pooled_interval(results: Iterable[HarnessResult]) -> ScoreInterval | None:
    """Interval of the mean over every scored item of ``results`` pooled (the best single
    member's score), clustered by harness and item family or repeated item."""
    scores: list[float] = []
    clusters: list[str] = []
    for result in results:
        for outcome in result.metadata.items:
            if outcome.scored:
                scores.append(outcome.score)
                clusters.append(f"{result.harness_id}:{outcome.cluster}")
    if not scores:
        return None
    interval = mean_interval(scores, clusters)
    return ScoreInterval(n=interval.n, ci_low=interval.ci_low, ci_high=interval.ci_high)
