"""Options several commands share, declared once, and the one cost gate.

Typer reads an option declaration as metadata only, so one declaration can serve as the default
of many parameters. The run options (`mapelite.config.run_options.RunOptions`) are declared in
their model: `takes_run_options` turns its fields into a command's options.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

import annotated_types
import typer
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from cli.output import err_console
from mapelite.catalog.cost import CostEstimate, format_usd
from mapelite.config.run_options import Flag, RunOptions
from mapelite.errors import (
    EXIT_ESTIMATE_NOT_ACCEPTED,
    InvalidInputError,
    MapEliteError,
    validation_line,
)

if TYPE_CHECKING:
    from mapelite.schemas import ItemSample

F = TypeVar("F", bound=Callable[..., Any])

HARNESS_OPTION = typer.Option("all", "--harness", "-H", help="harness id, name, list or 'all'")

# Which models run: a tier (built-in or from mapelite.toml) or a list; exactly one of the two.
TIER_HELP = "model tier: tier1 tier2 tier3 best8 demo, or a tier of mapelite.toml"
MODELS_HELP = "model ids separated by commas, instead of a tier, e.g. ollama/llama3.2:1b,lab/x"
SELECT_TIER_OPTION = typer.Option(None, "--tier", "-t", help=TIER_HELP)
MODELS_OPTION = typer.Option(None, "--models", "-m", help=MODELS_HELP)
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


# -- the run options ------------------------------------------------------------------------------

RUN_OPTIONS = RunOptions()
"""The default of a command's ``options`` parameter: `takes_run_options` replaces it by one
command-line option per field."""

SAMPLE_FIELDS = (
    "bank",
    "items",
    "item_seed",
    "context_tokens",
    "instructions_per_prompt",
    "reasoning_steps",
)


def _typer_option(name: str, field: FieldInfo) -> inspect.Parameter:
    """One field of `RunOptions` as a Typer option: its flag names, help, default and bounds.
    Typer has no open bound: a value equal to a ``gt`` bound passes Click and is refused by the
    model, in one line with the same exit code."""
    flag = next(m for m in field.metadata if isinstance(m, Flag))
    bounds: dict[str, Any] = {}
    for constraint in field.metadata:
        if isinstance(constraint, annotated_types.Ge):
            bounds["min"] = constraint.ge
        elif isinstance(constraint, annotated_types.Gt):
            bounds["min"] = constraint.gt
        elif isinstance(constraint, annotated_types.Le):
            bounds["max"] = constraint.le
    option = typer.Option(field.default, *flag.names, help=field.description, **bounds)
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=field.annotation
    )


def run_option_fields(
    only: Collection[str] | None = None, exclude: Collection[str] = ()
) -> list[str]:
    """The fields of `RunOptions` that are command-line options, in declaration order."""
    return [
        name
        for name, field in RunOptions.model_fields.items()
        if any(isinstance(m, Flag) for m in field.metadata)
        and (only is None or name in only)
        and name not in exclude
    ]


def takes_run_options(
    *, only: Collection[str] | None = None, exclude: Collection[str] = ()
) -> Callable[[F], F]:
    """A command with an ``options: RunOptions = RUN_OPTIONS`` parameter gets one option per
    field of `RunOptions` (``only``/``exclude`` choose which) in its place; it is called with
    the `RunOptions` they make. A field's flags, help, default and bounds are declared once, in
    the model."""
    names = run_option_fields(only, exclude)

    def decorate(command: F) -> F:
        hints = get_type_hints(command)
        own = [
            parameter.replace(annotation=hints.get(parameter.name, parameter.annotation))
            for parameter in inspect.signature(command).parameters.values()
        ]
        at = next(i for i, parameter in enumerate(own) if parameter.name == "options")
        added = [_typer_option(name, RunOptions.model_fields[name]) for name in names]
        positional = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
        parameters = [*positional[:at], *added, *positional[at + 1 :]]

        def with_options(**values: Any) -> Any:
            given = {name: values.pop(name) for name in names}
            try:
                options = RunOptions(**given)
            except ValidationError as error:
                raise InvalidInputError(validation_line(error)) from None
            return command(**values, options=options)

        with_options.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        with_options.__annotations__ = {p.name: p.annotation for p in parameters}
        with_options.__name__ = command.__name__
        with_options.__qualname__ = command.__qualname__
        with_options.__doc__ = command.__doc__
        with_options.__module__ = command.__module__
        return with_options  # type: ignore[return-value]

    return decorate


def resolve_run_options(options: RunOptions, models: list[str]) -> RunOptions:
    """The options with the config file's ``[defaults]`` and the built-in defaults filled in
    for a run of ``models`` (`RunOptions.resolved`)."""
    from mapelite.catalog.models import load_catalog
    from mapelite.config.settings import get_settings

    simulated = load_catalog().all_simulated(models)
    return options.resolved(get_settings().defaults, simulated=simulated)


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
