"""The report's data model; its JSON form is the stable export (``schema_version`` 1).

Definitions (also in profiles/README.md):

- *entry*: one ledger line (one harness run of one model or swarm agent). A failed entry
  (``metadata.error`` set) scores 0 whatever it recorded.
- *solo entry*: an entry where the model answered the items alone: role ``single``, or a
  ``worker`` in a swarm's first stage (stage 0). Model profiles use solo entries only, since an
  aggregator's or consumer's score also reflects the agents before it.
- *evaluation*: the solo entries of one model in one run (``run_id`` plus ``metadata.repeat``
  when a flow records repeats). Its fitness is `mapelite.fitness` over the mean score per
  harness in that evaluation.
- ``latest_fitness``: fitness over the latest score of each harness (by timestamp, then ledger
  order). ``average_fitness``: mean of the fitness of each evaluation.
- ``trend``: least-squares slope of the fitness of the last `TREND_WINDOW` evaluations (in time
  order) per evaluation: above `TREND_THRESHOLD` improving, below minus it declining, otherwise
  stable; ``n/a`` with fewer than two evaluations.
- ``price_per_m_usd``: mean of the catalog's input and output price per million tokens (null
  when the catalog does not know the model). ``score_per_dollar``: latest fitness divided by
  that price (null when the price is 0 or unknown).
- ``rank``: by latest fitness, highest first; ties go to the cheaper model, then the model id.
- ``on_pareto_frontier``: no other priced model has a price <= and a fitness >=, one strictly.
- Pattern rows group swarm runs (entries with a pattern) by pattern and tier. A run's swarm
  score is the mean score of its last stage's entries; its coordination gain is that minus the
  mean of its first stage; its gain over the best single member is the swarm score minus the
  best mean solo score (same harnesses, whole filtered ledger) among the models it used. Cost of
  a run = sum of ``cost_usd`` of all its entries. Row values are means over runs.
- ``best_single_model``: among the tier's models, the best mean score of single-model runs
  (pattern null or ``:0``) on the pattern's harnesses; ``score_per_extra_dollar`` = (mean swarm
  score - its score) / (cost per run - its cost per run), null when the swarm costs no more.
- The tier of a run is ``metadata.tier`` when recorded, else the first catalog tier holding
  every model of the run, else ``custom``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = 1
TREND_WINDOW = 5
TREND_THRESHOLD = 0.02
SCORE_DIGITS = 4  # scores, fitness, gains, score per dollar are rounded to this many decimals
USD_DIGITS = 6  # prices and costs

Trend = Literal["improving", "stable", "declining", "n/a"]


class HarnessProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    harness_id: int
    harness: str
    average: float
    latest: float
    entries: int


class ModelProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rank: int
    model: str
    provider: str
    simulated: bool
    latest_fitness: float
    average_fitness: float
    evaluations: int
    entries: int
    failed_entries: int
    first_evaluated: str
    last_evaluated: str
    trend: Trend
    trend_slope: float | None
    price_per_m_usd: float | None
    score_per_dollar: float | None
    on_pareto_frontier: bool
    harnesses: list[HarnessProfile]


class PatternProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str
    tier: str
    simulated: bool
    runs: int
    mean_swarm_score: float
    coordination_gain: float
    gain_over_best_single_member: float | None
    cost_per_run_usd: float
    best_single_model: str | None
    best_single_score: float | None
    best_single_cost_per_run_usd: float | None
    score_per_extra_dollar: float | None


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    generated_at: str
    ledger_path: str
    ledger_entries: int
    entries_used: int
    filters: dict[str, str | None]
    fitness_weights: dict[str, float]
    simulated: bool
    models: list[ModelProfile]
    patterns: list[PatternProfile]

    def model(self, model_id: str) -> ModelProfile | None:
        return next((m for m in self.models if m.model == model_id), None)
