"""Data crossing module and process boundaries: results, options, run context.

`HarnessResult` is one ledger entry (DESIGN.md, "HarnessResult"). It is validated before it
is written; anything invalid is refused with a `pydantic.ValidationError`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

HARNESS_NAMES: dict[int, str] = {
    0: "SENSE",
    1: "FUSE",
    2: "SHAPE",
    3: "DELIVER",
    4: "DISRUPT",
    5: "IMMUNIZE",
    6: "STORE",
    7: "DECIDE",
}

RunnerName = Literal["local", "temporal", "nats"]
Role = Literal["single", "worker", "aggregator", "consumer"]
CostSource = Literal["provider", "estimated", "simulated"]
HEX64 = r"^[0-9a-f]{64}$"
ReasoningEffort = Literal["off", "minimal", "low", "medium", "high"]
REASONING_EFFORTS: tuple[str, ...] = ("off", "minimal", "low", "medium", "high")


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def split_model_id(model: str) -> tuple[str, str]:
    """``"openrouter/openai/gpt-5-nano"`` -> ``("openrouter", "openai/gpt-5-nano")``."""
    provider, sep, name = model.partition("/")
    if not sep or not provider or not name:
        raise ValueError(
            f"model id {model!r} needs a provider prefix, e.g. openrouter/openai/gpt-5-nano, "
            "ollama/llama3.2:1b, openai/<name>, mockllm/<name>"
        )
    return provider, name


class ReasoningSetting(BaseModel):
    """How much a model may think before it answers: an effort level or a token budget.

    Written ``off | minimal | low | medium | high`` or a number of tokens (``2048``). Part of a
    *setup* (DESIGN.md "Setups"): ``model@setting``; a plain model id is the model with its
    documented default setting.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    effort: ReasoningEffort | None = None
    budget_tokens: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_of_the_two(self) -> ReasoningSetting:
        if (self.effort is None) == (self.budget_tokens is None):
            raise ValueError("a reasoning setting is an effort or a token budget, not both")
        return self

    @classmethod
    def parse(cls, text: str) -> ReasoningSetting:
        """``"low"`` or ``"2048"`` (``"2048 tokens"`` and ``"2k"`` too); ValueError otherwise."""
        value = text.strip().lower().removesuffix("tokens").strip()
        if value in REASONING_EFFORTS:
            return cls(effort=value)
        multiplier = 1000 if value.endswith("k") else 1
        digits = value.removesuffix("k")
        if digits.isdigit() and int(digits) > 0:
            return cls(budget_tokens=int(digits) * multiplier)
        raise ValueError(
            f"reasoning setting {text!r} is not one of {', '.join(REASONING_EFFORTS)} "
            "or a number of tokens (e.g. 2048)"
        )

    def __str__(self) -> str:
        return self.effort if self.effort is not None else str(self.budget_tokens)


def parse_setup(text: str) -> tuple[str, ReasoningSetting | None]:
    """``"openrouter/openai/gpt-5-nano@low"`` -> (model id, setting); no ``@``: setting None."""
    model, sep, setting = text.rpartition("@")
    if not sep:
        split_model_id(text)
        return text, None
    split_model_id(model)
    return model, ReasoningSetting.parse(setting)


def format_setup(model: str, reasoning: ReasoningSetting | str | None) -> str:
    """The setup's canonical name: ``model`` or ``model@setting``."""
    return model if reasoning is None else f"{model}@{reasoning}"


class Scores(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: float = Field(ge=0)
    normalized: float = Field(ge=0, le=1)


LEDGER_FORMAT_VERSION = 2
"""Version written on new entries; an entry without a ``version`` field reads as version 1."""


class ItemOutcome(BaseModel):
    """One item of a harness run: what the model answered and what it scored.

    An item whose call failed carries ``error``: it is not a score (its ``score`` is ignored),
    it is missing coverage. ``bank``/``bank_version`` name where the item came from (entries
    written before item banks read as bank ``core``, version ``1``); ``family`` groups items that
    share a template or passage, for clustered intervals (``None``: the item is its own family).
    """

    model_config = ConfigDict(extra="forbid")

    item_id: str
    bank: str = "core"
    bank_version: str = "1"
    family: str | None = None
    answer: str | None = None
    score: float = Field(ge=0, le=1)
    latency_s: float = Field(default=0.0, ge=0)
    tokens_in: int = Field(default=0, ge=0)
    tokens_out: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)
    attempts: int = Field(default=1, ge=0)
    error: str | None = None
    cache_key: str | None = Field(default=None, description="response-cache key, when cached")
    cached: bool = Field(default=False, description="answer served from the response cache")
    cached_from: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="hash of the entry first storing it"
    )
    original_cost_usd: float | None = Field(
        default=None, ge=0, description="what the original call cost (cached answers cost 0)"
    )
    reused_from: str | None = Field(
        default=None,
        pattern=HEX64,
        description="hash of the ledger entry whose paid answer a resumed run took over (its "
        "cost fields are that call's; the entry's own cost leaves them out)",
    )
    # What a real model's reply says beyond its text (DESIGN.md "Setups and real-model
    # behaviour"). All optional: entries written before them read as None.
    thinking: str | None = Field(
        default=None, description="reasoning text kept apart from the answer; never scored"
    )
    extracted: str | None = Field(default=None, description="the answer the scorer read")
    finish_reason: str | None = Field(default=None, description="stop | length | ... (normalised)")
    native_finish_reason: str | None = Field(default=None, description="the provider's own")
    reasoning_tokens: int | None = Field(default=None, ge=0, description="part of tokens_out")
    cost_source: CostSource | None = Field(default=None, description="where cost_usd came from")
    served_by: str | None = Field(default=None, description="the upstream provider that served it")
    scorer_version: str | None = None
    diagnostics: dict[str, Any] | None = Field(
        default=None, description="scorer details that are not the score (e.g. tests passed)"
    )

    @property
    def truncated(self) -> bool:
        """The model stopped at its token budget: its answer is what it wrote by then."""
        return self.finish_reason == "length"

    @property
    def scored(self) -> bool:
        """True when the item was answered and scored (errors are not scores)."""
        return self.error is None

    @property
    def reused(self) -> bool:
        """Taken over from an earlier entry of the same unit: paid once, by that entry."""
        return self.reused_from is not None

    @property
    def cluster(self) -> str:
        """The cluster this item's score belongs to for clustered intervals."""
        return self.family or f"{self.bank}:{self.item_id}"


class AgentContext(BaseModel):
    """Where a harness run sits in a swarm or batch; carried by requests across processes.

    ``upstream_answers`` maps item id -> the previous stage's successful answers for that item
    (failed agents' error texts are never included).
    """

    model_config = ConfigDict(extra="forbid")

    run_id: str
    unit_key: str
    pattern: str | None = None
    stage: int = Field(default=0, ge=0)
    agent: int = Field(default=0, ge=0)
    role: Role = "single"
    upstream: list[str] = Field(default_factory=list, description="unit keys of the inputs")
    upstream_answers: dict[str, list[str]] = Field(default_factory=dict)
    repeat: int = Field(default=0, ge=0)
    supersedes: str | None = Field(
        default=None,
        pattern=HEX64,
        description="hash of the recorded entry with errors that this run replaces: a re-run is "
        "a new submission to engines that deduplicate by unit (Temporal, NATS)",
    )
    reuse: list[ItemOutcome] = Field(
        default_factory=list,
        description="scored items of the replaced entry, each marked with the entry it came "
        "from: the runner (local or a remote worker) takes them over instead of calling the model",
    )


DEFAULT_CALL_TIMEOUT_S = 60.0
"""Per-call timeout: far below the run's (300 s), so a hung call is retried within the run."""


class ItemSample(BaseModel):
    """Which items a run answers: the bank, the sample size and seed, the difficulty knobs.

    The same sample gives every model and every run the same items (`mapelite.banks`).
    Its fields are `HarnessRunnerOptions` fields: ``HarnessRunnerOptions(**sample.fields())``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    bank: str = Field(default="core", min_length=1)
    items: int | None = Field(default=None, gt=0)
    item_seed: int = 0
    context_tokens: int | None = Field(default=None, gt=0)
    instructions_per_prompt: int | None = Field(default=None, ge=1, le=3)
    reasoning_steps: int | None = Field(default=None, ge=1, le=12)

    def fields(self) -> dict[str, Any]:
        return self.model_dump()


class HarnessRunnerOptions(BaseModel):
    """Options for one harness run (or every run of a batch)."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(default=300.0, gt=0, description="per harness run")
    call_timeout_s: float | None = Field(
        default=DEFAULT_CALL_TIMEOUT_S,
        gt=0,
        description="per model call (each attempt); a call that exceeds it is retried like a "
        "5xx. None: the run's timeout (no retry of a hung call fits in the run)",
    )
    retries: int = Field(default=3, ge=0, description="retries after the first attempt")
    retry_delay_s: float = Field(default=1.0, ge=0, description="base of exponential backoff")
    max_tokens: int | None = Field(default=None, gt=0)
    temperature: float = Field(default=0.0, ge=0, le=2)
    seed: int = 0
    item_limit: int | None = Field(
        default=None, gt=0, description="run only the first N items (smoke tests, benchmarks)"
    )
    cache: bool = Field(default=False, description="serve and store answers in the cache")
    bank: str = Field(
        default="core", min_length=1, description="core, gen, humaneval or a dataset file path"
    )
    items: int | None = Field(
        default=None, gt=0, description="sample size from the bank; None: the whole bank"
    )
    item_seed: int = Field(default=0, description="chooses the sample: same seed, same items")
    context_tokens: int | None = Field(
        default=None, gt=0, description="STORE's haystack length in tokens (gen bank)"
    )
    instructions_per_prompt: int | None = Field(
        default=None, ge=1, le=3, description="DELIVER's instructions per prompt (gen bank)"
    )
    reasoning_steps: int | None = Field(
        default=None, ge=1, le=12, description="operations per DECIDE problem (gen bank)"
    )
    reasoning: ReasoningSetting | None = Field(
        default=None,
        description="the setup's reasoning setting; None: the model's default for evaluation",
    )
    context: AgentContext | None = None

    @property
    def per_call_timeout_s(self) -> float:
        """The timeout of one attempt: never longer than the whole run's."""
        if self.call_timeout_s is None:
            return self.timeout_s
        return min(self.call_timeout_s, self.timeout_s)


class ResultMetadata(BaseModel):
    """Metadata of a ledger entry. Extra keys are allowed and kept."""

    model_config = ConfigDict(extra="allow")

    run_id: str
    runner: RunnerName = "local"
    engine_id: dict[str, str] = Field(default_factory=dict)
    unit_key: str | None = None
    pattern: str | None = None
    stage: int | None = None
    agent: int | None = None
    role: Role = "single"
    upstream: list[str] = Field(default_factory=list)
    items: list[ItemOutcome] = Field(default_factory=list)
    latency_s: float = Field(default=0.0, ge=0)
    tokens_in: int = Field(default=0, ge=0)
    tokens_out: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0, description="actual (or best known) cost")
    cost_estimated_usd: float = Field(default=0.0, ge=0)
    cost_expected_usd: float | None = Field(
        default=None, ge=0, description="the pre-run estimate of this harness run (its budget)"
    )
    cost_source: CostSource = "estimated"
    attempts: int = Field(default=1, ge=0, description="model calls made, retries included")
    queue_depth: int = Field(default=0, ge=0, description="calls waiting for the provider slot")
    wait_s: float = Field(default=0.0, ge=0, description="time spent waiting for a slot")
    error: str | None = None
    simulated: bool = False
    catalog_hash: str | None = None
    seed: int | None = None
    reasoning: str | None = Field(
        default=None, description="the reasoning setting of the setup (None: the default)"
    )
    rescore_of: str | None = Field(
        default=None,
        pattern=HEX64,
        description="hash of the entry whose stored answers this entry scores again (`rescore`)",
    )


class HarnessResult(BaseModel):
    """One ledger entry. ``prev_hash``/``hash`` are filled in by the ledger on append."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(default=1, ge=1, description="ledger entry format; absent reads as 1")
    harness_id: int = Field(ge=0, le=7)
    harness_name: str
    model: str
    scores: Scores
    timestamp: str = Field(default_factory=utc_now_iso)
    prev_hash: str | None = Field(default=None, pattern=HEX64)
    hash: str | None = Field(default=None, pattern=HEX64)
    metadata: ResultMetadata

    @field_validator("model")
    @classmethod
    def _model_has_provider(cls, value: str) -> str:
        split_model_id(value)
        return value

    @field_validator("timestamp")
    @classmethod
    def _timestamp_is_utc_iso(cls, value: str) -> str:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None or parsed.utcoffset() != UTC.utcoffset(None):
            raise ValueError("timestamp must be UTC ISO-8601")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HarnessResult:
        expected = HARNESS_NAMES[self.harness_id]
        if self.harness_name != expected:
            raise ValueError(f"harness {self.harness_id} is {expected}, not {self.harness_name}")
        items = self.metadata.items
        if items and self.scores.raw > len(items) + 1e-9:
            raise ValueError("scores.raw cannot exceed the number of items")
        return self

    @property
    def failed(self) -> bool:
        return self.metadata.error is not None

    @property
    def setup(self) -> str:
        """``model`` or ``model@setting``: what a score belongs to."""
        return format_setup(self.model, self.metadata.reasoning)

    @property
    def simulated(self) -> bool:
        return self.metadata.simulated

    def ledger_fields(self) -> dict[str, Any]:
        """The fields as stored, without the chain fields (the ledger adds those)."""
        return self.model_dump(mode="json", exclude={"prev_hash", "hash"})
