"""The options every run shares, declared once: `RunOptions`.

The command line builds its options from these fields (`cli.options.takes_run_options`: the
flag names, help, default and bounds of each come from here), the flows take one `RunOptions`
parameter, and `prefect.yaml`'s deployments pass one as ``options:``. Adding a run option is
one field here plus its use.

A field left at None means "not given": `RunOptions.resolved` fills it from the config file's
``[defaults]``, then from the built-in default, which for the item sample depends on whether
the run's models are all simulated (`default_sample`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from mapelite.config.file import RunDefaults
from mapelite.schemas import DEFAULT_CALL_TIMEOUT_S, HarnessRunnerOptions, ItemSample

REAL_DEFAULT_BANK = "gen"
REAL_DEFAULT_ITEMS = 100
"""A run on real models answers 100 generated items per harness unless told otherwise: enough to
detect a difference of 0.13 per harness at 80% power (`mapelite.stats.power`); a tier1 batch of
all 8 harnesses at this size stays under $0.50."""

DEMO_DEFAULT_BANK = "core"
"""A run whose models are all simulated (the demo tier, ``mockllm/...``) answers the six curated
items per harness: quick, and its numbers are SIMULATED anyway."""


@dataclass(frozen=True)
class Flag:
    """How a field is spelled on the command line: ``Flag("--runs", "-n")``. A field without
    one is not a command-line option (flows and deployments only)."""

    names: tuple[str, ...]

    def __init__(self, *names: str) -> None:
        object.__setattr__(self, "names", names)


class RunOptions(BaseModel):
    """How a run runs: where, under which id and budget, with which limits, repeats and items.

    What runs (the tier or models, the harnesses, a swarm's pattern and lead) is each command's
    and each flow's own parameters.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    runner: Annotated[
        str,
        Field(description="where harness runs execute: local | temporal | nats"),
        Flag("--runner", "-r"),
    ] = "local"
    run_id: Annotated[
        str | None,
        Field(description="resume this run id (printed at start)"),
        Flag("--run-id"),
    ] = None
    yes: Annotated[
        bool,
        Field(description="accept an estimate above MAPELITE_WARN_USD"),
        Flag("--yes", "-y"),
    ] = False
    budget_usd: Annotated[
        float | None,
        Field(
            ge=0,
            description="hard stop: no new harness runs once this run's actual spend reaches USD",
        ),
        Flag("--budget"),
    ] = None
    runs: Annotated[
        int | None,
        Field(ge=1, description="repeats (default: defaults.runs of mapelite.toml, else 1)"),
        Flag("--runs", "-n"),
    ] = None
    seed: Annotated[
        int | None,
        Field(
            description="seed passed to the models and the simulator; repeat r uses seed+r "
            "(default: defaults.seed of mapelite.toml, else 0)"
        ),
        Flag("--seed"),
    ] = None
    bank: Annotated[
        str | None,
        Field(
            min_length=1,
            description=f"core | gen | humaneval (SHAPE) | PATH of a JSONL/CSV/Parquet dataset "
            f"(default: {REAL_DEFAULT_BANK} with {REAL_DEFAULT_ITEMS} items on real models, "
            f"{DEMO_DEFAULT_BANK} on simulated ones)",
        ),
        Flag("--bank"),
    ] = None
    items: Annotated[
        int | None,
        Field(
            ge=1,
            description=f"items sampled per harness (default: {REAL_DEFAULT_ITEMS} of gen, all "
            "of a fixed bank - core has 6)",
        ),
        Flag("--items"),
    ] = None
    item_seed: Annotated[
        int | None,
        Field(description="chooses the sample: same seed, same items for every model (default 0)"),
        Flag("--item-seed"),
    ] = None
    context_tokens: Annotated[
        int | None,
        Field(ge=1, description="STORE's prompt length in tokens, gen bank (default 4000)"),
        Flag("--context-tokens"),
    ] = None
    instructions_per_prompt: Annotated[
        int | None,
        Field(
            ge=1,
            le=3,
            description="DELIVER's instructions per prompt, gen bank (default: 1-3 drawn per item)",
        ),
        Flag("--instructions"),
    ] = None
    reasoning_steps: Annotated[
        int | None,
        Field(
            ge=1,
            le=12,
            description="operations per DECIDE problem, gen bank (default: drawn per item)",
        ),
        Flag("--steps"),
    ] = None
    cache: Annotated[
        bool | None,
        Field(
            description="answer repeated requests from the response cache in $MAPELITE_HOME "
            "(recorded as cached, cost 0); default: [defaults] cache of the config file, else off"
        ),
        Flag("--cache/--no-cache"),
    ] = None
    timeout_s: Annotated[
        float,
        Field(gt=0, description="seconds per harness run (all its calls and retries)"),
        Flag("--timeout"),
    ] = 300.0
    call_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            description="seconds per model call attempt; a call past it is retried like a 5xx "
            "(never longer than --timeout)",
        ),
        Flag("--call-timeout"),
    ] = DEFAULT_CALL_TIMEOUT_S
    retries: Annotated[
        int,
        Field(ge=0, description="retries per call after the first"),
        Flag("--retries"),
    ] = 3
    temperature: Annotated[
        float,
        Field(ge=0, le=2, description="sampling temperature of every model call"),
        Flag("--temperature"),
    ] = 0.0
    reasoning: Annotated[
        str | None,
        Field(
            description="reasoning setting for the models that reason and have no @setting of "
            "their own: off|minimal|low|medium|high or a number of tokens (default: the config "
            "file's reasoning for the model, else low)"
        ),
        Flag("--reasoning"),
    ] = None
    item_limit: Annotated[
        int | None,
        Field(gt=0, description="only the first N items of each harness (smoke tests, benchmarks)"),
    ] = None

    def resolved(self, defaults: RunDefaults, *, simulated: bool) -> RunOptions:
        """Every option not given filled in: from the config file's ``[defaults]``, then the
        built-in defaults (`default_sample` for the items; ``simulated``: every model of the run
        is a simulated one)."""
        bank = self.bank or defaults.bank
        items = self.items if self.items is not None else defaults.items
        if bank is None:
            bank, default_items = default_sample(simulated)
            items = items if items is not None else default_items
        item_seed = self.item_seed if self.item_seed is not None else defaults.item_seed
        seed = self.seed if self.seed is not None else defaults.seed
        return self.model_copy(
            update={
                "runs": self.runs if self.runs is not None else defaults.runs,
                "seed": seed if seed is not None else 0,
                "bank": bank,
                "items": items,
                "item_seed": item_seed if item_seed is not None else 0,
                "cache": self.cache if self.cache is not None else defaults.cache,
            }
        )

    def for_repeat(self, run_id: str, repeat: int) -> RunOptions:
        """One flow run of a repeated swarm or eval: its own run id and seed ``seed + repeat``."""
        return self.model_copy(
            update={"run_id": run_id, "runs": 1, "seed": (self.seed or 0) + repeat}
        )

    @property
    def sample(self) -> ItemSample:
        """The items the run answers (unresolved options take ItemSample's defaults)."""
        given = {
            "bank": self.bank,
            "items": self.items,
            "item_seed": self.item_seed,
            "context_tokens": self.context_tokens,
            "instructions_per_prompt": self.instructions_per_prompt,
            "reasoning_steps": self.reasoning_steps,
        }
        return ItemSample(**{name: value for name, value in given.items() if value is not None})

    def runner_options(self, **more: Any) -> HarnessRunnerOptions:
        """The options of every harness run of this run (``more``: e.g. a repeat's seed)."""
        fields: dict[str, Any] = {
            "timeout_s": self.timeout_s,
            "call_timeout_s": self.call_timeout_s,
            "retries": self.retries,
            "temperature": self.temperature,
            "item_limit": self.item_limit,
            "cache": bool(self.cache),
            "seed": self.seed or 0,
            **self.sample.fields(),
        }
        return HarnessRunnerOptions(**{**fields, **more})


def default_sample(simulated: bool) -> tuple[str, int | None]:
    """The bank and item count a run answers when neither its options nor ``[defaults]`` name a
    bank: 100 generated items per harness on real models, the curated core items on simulated
    ones."""
    if simulated:
        return DEMO_DEFAULT_BANK, None
    return REAL_DEFAULT_BANK, REAL_DEFAULT_ITEMS
