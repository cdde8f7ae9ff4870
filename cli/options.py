"""Options several commands share, declared once, and the one cost gate.

Typer reads an option declaration as metadata only, so one declaration can serve as the default
of many parameters.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.output import err_console
from mapelite.catalog.cost import CostEstimate, format_usd
from mapelite.errors import EXIT_ESTIMATE_NOT_ACCEPTED, MapEliteError
from mapelite.schemas import DEFAULT_CALL_TIMEOUT_S, HarnessRunnerOptions

if TYPE_CHECKING:
    from mapelite.schemas import ItemSample

RUNNER_HELP = "where harness runs execute: local | temporal | nats"
BUDGET_HELP = "hard stop: no new harness runs once this run's actual spend reaches USD"

HARNESS_OPTION = typer.Option("all", "--harness", "-H", help="harness id, name, list or 'all'")
RUNNER_OPTION = typer.Option("local", "--runner", "-r", help=RUNNER_HELP)
RUN_ID_OPTION = typer.Option(None, "--run-id", help="resume this run id (printed at start)")
YES_OPTION = typer.Option(False, "--yes", "-y", help="accept an estimate above MAPELITE_WARN_USD")
BUDGET_OPTION = typer.Option(None, "--budget", min=0, help=BUDGET_HELP)
CACHE_OPTION = typer.Option(
    None,
    "--cache/--no-cache",
    help="answer repeated requests from the response cache in $MAPELITE_HOME (recorded as "
    "cached, cost 0); default: [defaults] cache of the config file, else off",
)
TIMEOUT_OPTION = typer.Option(
    300.0, "--timeout", min=0.001, help="seconds per harness run (all its calls and retries)"
)
CALL_TIMEOUT_OPTION = typer.Option(
    DEFAULT_CALL_TIMEOUT_S,
    "--call-timeout",
    min=0.001,
    help="seconds per model call attempt; a call past it is retried like a 5xx "
    "(never longer than --timeout)",
)
RETRIES_OPTION = typer.Option(3, "--retries", min=0, help="retries per call after the first")

# Which models run: a tier (built-in or from mapelite.toml) or a list; exactly one of the two.
TIER_HELP = "model tier: tier1 tier2 tier3 best8 demo, or a tier of mapelite.toml"
MODELS_HELP = "model ids separated by commas, instead of a tier, e.g. ollama/llama3.2:1b,lab/x"
SELECT_TIER_OPTION = typer.Option(None, "--tier", "-t", help=TIER_HELP)
MODELS_OPTION = typer.Option(None, "--models", "-m", help=MODELS_HELP)
RUNS_OPTION = typer.Option(
    None, "--runs", "-n", min=1, help="repeats (default: defaults.runs of mapelite.toml, else 1)"
)
SEED_OPTION = typer.Option(
    None,
    "--seed",
    help="seed passed to the models and the simulator; repeat r uses seed+r "
    "(default: defaults.seed of mapelite.toml, else 0)",
)
JSON_OPTION = typer.Option(
    False, "--json", help="print the result as JSON on stdout; everything else goes to stderr"
)
DETECT_OPTION = typer.Option(
    None,
    "--detect",
    min=0.001,
    max=1.0,
    help="a difference per harness (e.g. 0.1): print the items and dollars to detect it",
)

# Ledger filters (profile, report).
TIER_FILTER = typer.Option(None, "--tier", help="only models of this catalog tier")
PROVIDER_FILTER = typer.Option(None, "--provider", help="only models of this provider, e.g. ollama")
SINCE_FILTER = typer.Option(None, "--since", help="only entries at or after, e.g. 2025-01-31")
UNTIL_FILTER = typer.Option(None, "--until", help="only entries at or before")
RUN_ID_FILTER = typer.Option(None, "--run-id", help="only entries of this run")
CACHED_FILTER = typer.Option(
    "exclude",
    "--cached",
    help="include|exclude results answered from the response cache (default exclude: a cached "
    "answer repeats an earlier measurement and its latency is the cache's)",
)
LEDGER_OPTION = typer.Option(None, "--ledger", help="ledger file (default MAPELITE_LEDGER_PATH)")
FROM_LEDGER_OPTION = typer.Option(
    False,
    "--from-ledger",
    help="read the ledger itself, not its summary index (slower; for audits)",
)


@dataclass(frozen=True)
class CallLimits:
    """``--timeout``, ``--call-timeout`` and ``--retries``: how long a harness run and each of
    its calls may take, and how often a failed or timed-out call is tried again."""

    timeout_s: float
    call_timeout_s: float
    retries: int

    def runner_options(self, **more: Any) -> HarnessRunnerOptions:
        """The options of one harness run (`map-elite run`)."""
        return HarnessRunnerOptions(
            timeout_s=self.timeout_s,
            call_timeout_s=self.call_timeout_s,
            retries=self.retries,
            **more,
        )


class EstimateNotAccepted(MapEliteError):
    """The estimate is above MAPELITE_WARN_USD and was not accepted: nothing was run."""

    exit_code = EXIT_ESTIMATE_NOT_ACCEPTED


def refuse_unconfirmed(estimate: CostEstimate, yes: bool) -> None:
    """The cost gate's refusal, made before a command prints anything (its line names the
    estimate): an estimate above MAPELITE_WARN_USD without ``--yes`` and no terminal to confirm
    at. On a terminal `cost_gate` asks after the estimate is shown."""
    if yes or estimate.warning is None or (sys.stdin.isatty() and sys.stdout.isatty()):
        return
    raise EstimateNotAccepted(estimate.warning)


def cost_gate(estimate: CostEstimate, yes: bool) -> None:
    """Every command that spends passes here before its first call. An estimate that carries a
    warning (above MAPELITE_WARN_USD) needs ``--yes``; on a terminal the user may confirm
    instead."""
    if yes or estimate.warning is None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        prompt = f"estimated cost {format_usd(estimate.estimated_cost)}; run it?"
        if typer.confirm(prompt, default=False):
            return
        raise EstimateNotAccepted("not confirmed; nothing was run")
    raise EstimateNotAccepted(estimate.warning)


def ledger_path(ledger: Path | None) -> Path:
    from mapelite.config.settings import get_settings

    return ledger if ledger is not None else get_settings().ledger


# -- the item sample (run, swarm, batch, eval, cost-estimate, items) ------------------------------
# Options default to None so that the config file's [defaults] (items, item_seed, bank) applies
# when an option is not given; the built-in defaults below apply after that. The numbers in the
# help are mapelite.banks' defaults, written out so that `--help` does not import the banks
# (tests/test_cli_banks.py checks they agree).

CLI_DEFAULT_BANK = "core"
"""The bank a run answers when neither ``--bank`` nor ``[defaults] bank`` says: the six curated
items per harness, which every provider of the test suite and the demo answer quickly. ``--bank
gen --items 100`` is the larger sample (a tier1 batch of all harnesses stays under $0.50)."""

ITEMS_OPTION = typer.Option(
    None,
    "--items",
    min=1,
    help="items sampled per harness (default: all of a fixed bank - core has 6 - and 100 of gen)",
)
ITEM_SEED_OPTION = typer.Option(
    None,
    "--item-seed",
    help="chooses the sample: same seed, same items for every model (default 0)",
)
BANK_OPTION = typer.Option(
    None,
    "--bank",
    help=f"core | gen | humaneval (SHAPE) | PATH of a JSONL/CSV/Parquet dataset "
    f"(default {CLI_DEFAULT_BANK})",
)
CONTEXT_TOKENS_OPTION = typer.Option(
    None, "--context-tokens", min=1, help="STORE's prompt length in tokens, gen bank (default 4000)"
)
INSTRUCTIONS_OPTION = typer.Option(
    None,
    "--instructions",
    min=1,
    max=3,
    help="DELIVER's instructions per prompt, gen bank (default: 1-3 drawn per item)",
)
STEPS_OPTION = typer.Option(
    None,
    "--steps",
    min=1,
    max=12,
    help="operations per DECIDE problem, gen bank (default: drawn per item)",
)


def item_sample(
    items: int | None,
    item_seed: int | None,
    bank: str | None,
    context_tokens: int | None = None,
    instructions: int | None = None,
    steps: int | None = None,
    *,
    default_bank: str = CLI_DEFAULT_BANK,
) -> ItemSample:
    """The sample the options choose; an option not given falls back to the config file's
    ``[defaults]``, then to the built-in default."""
    from mapelite.config.settings import get_settings
    from mapelite.schemas import ItemSample

    defaults = get_settings().defaults
    return ItemSample(
        bank=bank or defaults.bank or default_bank,
        items=items if items is not None else defaults.items,
        item_seed=item_seed if item_seed is not None else (defaults.item_seed or 0),
        context_tokens=context_tokens,
        instructions_per_prompt=instructions,
        reasoning_steps=steps,
    )


def note_capped_sample(sample: ItemSample, harness_ids: list[int]) -> None:
    """A fixed bank smaller than ``--items`` runs all it has: say so in one line (stderr, so
    that ``--json`` output stays clean)."""
    from mapelite.banks import sample_items
    from mapelite.banks.humaneval import HARNESS_ID as HUMANEVAL_HARNESS

    if sample.items is None or sample.bank == "gen":
        return
    capped = []
    for harness_id in harness_ids:
        if sample.bank == "humaneval" and harness_id != HUMANEVAL_HARNESS:
            continue  # refused later, with its own message
        size = len(sample_items(harness_id, None, bank=sample.bank))
        if size < sample.items:
            capped.append(size)
    if capped:
        sizes = "/".join(str(n) for n in sorted(set(capped)))
        err_console.print(
            f"note: bank {sample.bank} has {sizes} items per harness; --items {sample.items} "
            f"runs all {sizes} (--bank gen generates as many as asked)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def use_cache(cache: bool | None) -> bool:
    """``--cache/--no-cache`` when given, else the config file's ``[defaults] cache``."""
    from mapelite.config.settings import get_settings

    return cache if cache is not None else get_settings().defaults.cache


def run_defaults(runs: int | None, seed: int | None) -> tuple[int, int]:
    """``--runs`` and ``--seed``, or the config file's ``[defaults]`` when not given."""
    from mapelite.config.settings import get_settings

    defaults = get_settings().defaults
    if runs is None:
        runs = defaults.runs
    if seed is None:
        seed = defaults.seed if defaults.seed is not None else 0
    return runs, seed
