"""Swarm verdicts: did the swarm beat what its first stage gave for free?

For one swarm run, each paired on the swarm's own items (per item: the last stage's mean score):
(a) the mean first-stage agent, (b) the best single member, (c) a majority vote of the first
stage's recorded answers, scored by the harness item's own scorer (no extra model calls).
Each with the mean difference, its 95% CI, p-value and what the swarm cost beyond the baseline.

**Best single member** (one definition, used by the swarm summary and the report): the model of
the first stage with the highest mean score over its scored items in this run (all its agents
pooled; errors are not scores); ties go to the cheaper one, then the model id.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from mapelite.schemas import HarnessResult
from mapelite.stats.compare import ItemKey, item_scores, last_stage, scored_total
from mapelite.stats.core import paired_difference


class MemberScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    agents: list[int]
    score: float
    n: int
    cost_usd: float


def first_stage(run: Sequence[HarnessResult]) -> list[HarnessResult]:
    return [e for e in run if (e.metadata.stage or 0) == 0]


def best_single_member(first: Sequence[HarnessResult]) -> MemberScore | None:
    """The first stage's best model over its scored items in the run (see module docstring)."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    agents: dict[str, set[int]] = defaultdict(set)
    for entry in first:
        total = totals[entry.setup]
        total[2] += entry.metadata.cost_usd
        agents[entry.setup].add(entry.metadata.agent or 0)
        score_sum, scored_items = scored_total(entry)
        total[0] += score_sum
        total[1] += scored_items
    scored = [
        MemberScore(
            model=model,
            agents=sorted(agents[model]),
            score=s / n,
            n=int(n),
            cost_usd=cost / len(agents[model]),
        )
        for model, (s, n, cost) in totals.items()
        if n > 0
    ]
    if not scored:
        return None
    return min(scored, key=lambda m: (-m.score, m.cost_usd, m.model))


def majority_answer(answers: Sequence[str], tie_key: str) -> str | None:
    """The most common answer (stripped); a tie goes to the candidate with the smallest hash of
    (tie_key, answer), so the vote is reproducible. None without any answer."""
    counts = Counter(a.strip() for a in answers if a and a.strip())
    if not counts:
        return None
    best = max(counts.values())
    tied = [answer for answer, n in counts.items() if n == best]
    return min(tied, key=lambda a: hashlib.sha256(f"{tie_key}|{a}".encode()).hexdigest())


def majority_vote_scores(first: Sequence[HarnessResult]) -> dict[ItemKey, float]:
    """Score of the first stage's majority answer per item, by the harness item's scorer.
    Items whose scorer is not available here (an item bank this build does not have) are left
    out."""
    from mapelite.harnesses import get_harness

    answers: dict[ItemKey, list[str]] = defaultdict(list)
    for entry in first:
        for outcome in entry.metadata.items:
            if outcome.scored and outcome.answer is not None:
                key = (entry.harness_id, outcome.bank, outcome.item_id)
                answers[key].append(outcome.answer)
    scores: dict[ItemKey, float] = {}
    for key, texts in answers.items():
        harness_id, bank, item_id = key
        voted = majority_answer(texts, f"{harness_id}|{bank}|{item_id}")
        if voted is None:
            continue
        try:
            item = get_harness(harness_id).item(item_id)
        except KeyError:
            continue
        scores[key] = item.score(voted)
    return scores


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    baseline: str  # "mean first-stage agent", "best single member", "majority vote"
    baseline_detail: str
    n: int
    swarm_score: float | None
    baseline_score: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str
    extra_cost_usd: float
    sentence: str


class SwarmVerdicts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    pattern: str | None
    swarm_cost_usd: float
    best_single_member: MemberScore | None
    verdicts: list[Verdict]


def _verdict(
    baseline: str,
    detail: str,
    swarm: dict[ItemKey, tuple[float, str]],
    other: dict[ItemKey, float],
    extra_cost: float,
) -> Verdict:
    keys = sorted(set(swarm) & set(other))
    a = [swarm[k][0] for k in keys]
    b = [other[k] for k in keys]
    cost = f"${abs(extra_cost):.4f} {'more' if extra_cost >= 0 else 'less'}"
    if not keys:
        return Verdict(
            baseline=baseline, baseline_detail=detail, n=0, swarm_score=None,
            baseline_score=None, difference=None, ci_low=None, ci_high=None, p_value=None,
            method="none", extra_cost_usd=extra_cost,
            sentence=f"no items to compare the swarm with {detail}",
        )  # fmt: skip
    result = paired_difference(a, b, [swarm[k][1] for k in keys])
    d = result.difference
    interval = f"[{result.ci_low:.2f}, {result.ci_high:.2f}], p = {result.p_value:.3f}"
    if result.significant:
        verb = "beat" if d > 0 else "lost to"
        sentence = f"the swarm {verb} {detail} by {abs(d):.2f} {interval}, for {cost}"
    else:
        sentence = (
            f"no detectable difference between the swarm and {detail}: {d:+.2f} {interval}, "
            f"for {cost}"
        )
    return Verdict(
        baseline=baseline,
        baseline_detail=detail,
        n=result.n,
        swarm_score=sum(a) / len(a),
        baseline_score=sum(b) / len(b),
        difference=d,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        p_value=result.p_value,
        method=result.method,
        extra_cost_usd=extra_cost,
        sentence=sentence,
    )


def swarm_verdicts(run: Sequence[HarnessResult]) -> SwarmVerdicts:
    """The three verdicts of one swarm run (all its entries, every stage)."""
    if not run:
        raise ValueError("a swarm run needs entries")
    first = first_stage(run)
    swarm = {k: (v.score, v.cluster) for k, v in item_scores(last_stage(run)).items()}
    swarm_cost = sum(e.metadata.cost_usd for e in run)
    first_cost = sum(e.metadata.cost_usd for e in first)
    agents = {(e.metadata.agent or 0) for e in first} or {0}
    mean_agent = {k: v.score for k, v in item_scores(first).items()}
    verdicts = [
        _verdict(
            "mean first-stage agent",
            "its mean first-stage agent",
            swarm,
            mean_agent,
            swarm_cost - first_cost / len(agents),
        )
    ]
    best = best_single_member(first)
    if best is not None:
        member = item_scores(e for e in first if e.setup == best.model)
        verdicts.append(
            _verdict(
                "best single member",
                f"its best single member {best.model}",
                swarm,
                {k: v.score for k, v in member.items()},
                swarm_cost - best.cost_usd,
            )
        )
    verdicts.append(
        _verdict(
            "majority vote",
            "a free majority vote of its first stage",
            swarm,
            majority_vote_scores(first),
            swarm_cost - first_cost,
        )
    )
    return SwarmVerdicts(
        run_id=run[0].metadata.run_id,
        pattern=run[0].metadata.pattern,
        swarm_cost_usd=swarm_cost,
        best_single_member=best,
        verdicts=verdicts,
    )
