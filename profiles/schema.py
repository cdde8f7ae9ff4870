"""The report's data model; its JSON form is the stable export (``schema_version`` 2).

Definitions (also in profiles/README.md):

- *entry*: one ledger line (one harness run of one model or swarm agent). Errors are not
  scores: an entry's score is the mean of its scored items; an entry with no scored item (a
  failed run, or all items errors) is an error, not a zero, and counts against coverage.
- *solo entry*: role ``single``, or a ``worker`` in a swarm's first stage (stage 0). Model
  profiles use solo entries only.
- *evaluation*: the solo entries of one model in one run (``run_id`` plus ``metadata.repeat``).
- Every score is an `Estimate`: value, ``n`` (items scored), ``ci_low``/``ci_high`` (95%,
  `mapelite.stats.core`: Wilson for 0/1 scores, clustered t for partial credit; clustered by item
  family and by repeats of an item).
- ``latest`` per harness: the model's latest entry with a score; ``average``: every scored item
  of every evaluation pooled; its interval treats repeats of an item as one cluster, so it uses
  as many clusters as the largest single entry had (conservative when evaluations answered
  different items).
- ``fitness``: `mapelite.stats.fitness` weights over the latest estimate of each harness, defined
  only when all 8 harnesses have one (``coverage.complete``); its CI by the delta method.
  ``average_fitness`` the same over the ``average`` estimates.
- ``rank``/``band``: only models with complete coverage, by fitness (ties: cheaper, then id);
  a model whose fitness is not significantly below the one ranked above it nor below its band's
  first model (two-sided z tests of the difference at 5%) shares its band. Partial coverage: no
  rank, no band, listed after.
- ``trend``: least-squares slope of the fitness of the last `TREND_WINDOW` complete
  evaluations, with its 95% t interval; ``improving``/``declining`` only when the interval
  excludes 0, otherwise ``stable``; ``n/a`` below `TREND_MIN_EVALUATIONS`.
- Pattern rows group swarm runs by (pattern, tier, member models, harness set, item sample);
  ``best_single_member`` is `mapelite.stats.verdicts.best_single_member` (the first-stage model with
  the best mean over its scored items in the run), the same definition the swarm summary uses.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 2
TREND_WINDOW = 10
TREND_MIN_EVALUATIONS = 5
SCORE_DIGITS = 4  # scores, fitness, gains, score per dollar are rounded to this many decimals
USD_DIGITS = 6  # prices and costs

Trend = Literal["improving", "stable", "declining", "n/a"]


class Estimate(BaseModel):
    """A score with its sample size and 95% interval."""

    model_config = ConfigDict(extra="forbid")

    value: float
    n: int
    ci_low: float
    ci_high: float

    def __str__(self) -> str:
        return f"{self.value} [{self.ci_low}, {self.ci_high}] n={self.n}"


class Coverage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    complete: bool
    harnesses_scored: list[int]
    harnesses: int
    items_scored: int
    item_errors: int
    failed_entries: int


class HarnessProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    harness_id: int
    harness: str
    latest: Estimate | None
    average: Estimate | None
    entries: int
    item_errors: int


class ModelProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rank: int | None
    band: int | None
    model: str
    provider: str
    simulated: bool
    coverage: Coverage
    fitness: Estimate | None
    average_fitness: Estimate | None
    evaluations: int
    entries: int
    failed_entries: int
    first_evaluated: str
    last_evaluated: str
    trend: Trend
    trend_slope: float | None
    trend_ci_low: float | None
    trend_ci_high: float | None
    price_per_m_usd: float | None
    score_per_dollar: float | None
    on_pareto_frontier: bool
    harnesses: list[HarnessProfile]
    truncated_items: int = Field(default=0, description="answers cut off at their token budget")
    truncation_rate: float | None = Field(
        default=None, description="truncated / answered items (finish reason length)"
    )
    cost_usd: float = 0.0
    cost_expected_usd: float | None = Field(
        default=None, description="the pre-run estimate of the entries that carry one"
    )
    cost_drift: float | None = Field(
        default=None, description="actual / estimated cost over the entries with an estimate"
    )
    served_by: list[str] = Field(default_factory=list, description="providers that served it")
    scorer_versions: list[str] = Field(
        default_factory=list, description="scorer versions of its latest scoring"
    )


class SwarmVerdict(BaseModel):
    """`mapelite.stats.verdicts.Verdict` of the group's latest run, rounded for the report."""

    model_config = ConfigDict(extra="forbid")

    baseline: str
    n: int
    swarm_score: float | None
    baseline_score: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    extra_cost_usd: float
    sentence: str


class PatternProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str
    tier: str
    members: list[str]
    harness_ids: list[int]
    item_sample: str | None
    simulated: bool
    runs: int
    swarm_score: Estimate | None
    coordination_gain: float | None
    best_single_member: str | None
    best_single_member_score: float | None
    gain_over_best_single_member: float | None
    cost_per_run_usd: float
    tier_best_model: str | None
    tier_best_model_score: float | None
    tier_best_model_cost_per_run_usd: float | None
    score_per_extra_dollar: float | None
    verdicts_run_id: str | None = None
    verdicts: list[SwarmVerdict] = Field(default_factory=list)


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

    def setup_parts(self, setup: str) -> list[ModelProfile]:
        """The setup's profile, or its parts when split by provider (``setup via P``)."""
        return [m for m in self.models if m.model == setup or m.model.startswith(f"{setup} via ")]
