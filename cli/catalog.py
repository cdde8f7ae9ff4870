"""Ledger and catalog commands: verify, cost-estimate, models (and models refresh), harnesses,
items."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.app import help_text
from cli.options import (
    DETECT_OPTION,
    JSON_OPTION,
    MODELS_OPTION,
    RUN_OPTIONS,
    SAMPLE_FIELDS,
    SELECT_TIER_OPTION,
    note_capped_sample,
    resolve_run_options,
    takes_run_options,
)
from cli.output import (
    add_model_column,
    fit_model_column,
    make_console,
    print_estimate_table,
    print_json,
)
from mapelite.config.run_options import RunOptions

if TYPE_CHECKING:
    from mapelite.catalog.models import Catalog

# Imports of the project's modules are local to each command so `map-elite --help` stays fast.

console = make_console()
commands = typer.Typer()
"""This group's commands; `register` adds them to the app."""


@commands.command("verify")
def verify_command(
    ledger: Path | None = typer.Argument(None, help="ledger file (default: the settings' one)"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check the ledger's hash chain; exit 0 when intact, 1 when corrupt or missing.

    Example: map-elite verify
    """
    from mapelite.config.settings import get_settings
    from mapelite.ledger.chain import Ledger

    path = ledger if ledger is not None else get_settings().ledger
    report = Ledger(path).require().verify()
    if as_json:
        print_json({"ledger": str(path), **dataclasses.asdict(report)})
        if not report.valid:
            raise typer.Exit(1)
        return
    if report.valid:
        console.print(
            f"ledger OK: {report.entries} entries, chain intact ({path})",
            markup=False,
            soft_wrap=True,
        )
        return
    console.print(
        f"ledger CORRUPT: first corrupt entry at index {report.first_corrupt} (0-based): "
        f"{report.reason}; {report.entries} entries before it are intact ({path})",
        markup=False,
        soft_wrap=True,
        highlight=False,
    )
    raise typer.Exit(1)


@commands.command("cost-estimate")
@takes_run_options(only=("runs", "reasoning", *SAMPLE_FIELDS))
def cost_estimate_command(
    pattern: str = typer.Argument(..., help="swarm pattern, e.g. :10 :01 :1010 :20"),
    tier: str | None = SELECT_TIER_OPTION,
    listed: str | None = MODELS_OPTION,
    harness: str = typer.Option("all", "--harness", "-H", help="harness ids/names or 'all'"),
    lead: str | None = typer.Option(None, "--lead", help="model of the width-1 stages"),
    options: RunOptions = RUN_OPTIONS,
    detect: float | None = DETECT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Estimate what a swarm costs before running it, and the smallest difference per harness
    its items can detect at 80% power (with --detect D, the items and dollars to detect D);
    names the models of the tier the pattern leaves out and the models whose price is variable.

    Priced on the prompts of the items --bank, --items and --item-seed choose (or
    mapelite.toml's defaults): a 64k-token STORE sample (--bank gen --context-tokens 64000)
    costs what its prompts cost. --runs N prices N runs of the swarm.

    Example: map-elite cost-estimate :1010 --tier demo --harness all --runs 4
    Example: map-elite cost-estimate :10 --tier demo --detect 0.1
    """
    from mapelite.catalog.cost import estimate_swarm
    from mapelite.catalog.models import load_catalog
    from mapelite.catalog.setups import resolve_setup, select_models
    from mapelite.config.settings import get_settings
    from mapelite.harnesses import parse_harness_selection
    from mapelite.swarm.patterns import parse_pattern

    settings = get_settings()
    parsed = parse_pattern(pattern, settings.max_agents)
    catalog = load_catalog()
    label, models = select_models(catalog, tier=tier, models=listed, reasoning=options.reasoning)
    harness_ids = parse_harness_selection(harness)
    if lead is not None:  # an unknown lead model is a one-line error
        lead = resolve_setup(catalog, lead, options.reasoning)
    resolved = resolve_run_options(options, models)
    note_capped_sample(resolved.sample, harness_ids)
    estimate = estimate_swarm(
        parsed,
        models,
        harness_ids,
        tier=label,
        lead=lead,
        warn_usd=settings.warn_usd,
        runs=resolved.runs or 1,
        options=resolved.runner_options(),
    )
    if as_json:
        print_json(estimate.model_dump(mode="json"))
        return
    print_estimate_table(estimate, console, detect)


models_app = typer.Typer(
    help="List catalog models and tiers; `models refresh` updates prices.\n\n"
    "Example: map-elite models --tier demo"
)


@models_app.callback(invoke_without_command=True)
def models_command(
    ctx: typer.Context,
    tier: str | None = SELECT_TIER_OPTION,
    listed: str | None = MODELS_OPTION,
    show_all: bool = typer.Option(False, "--all", help="also models in no tier"),
    as_json: bool = JSON_OPTION,
) -> None:
    """List models with prices (USD per M tokens), context length, tiers, and which are free
    (with their rate limit) or priced per request (variable).

    Example: map-elite models --tier demo
    """
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from mapelite.catalog.models import load_catalog
    from mapelite.catalog.setups import select_models

    catalog = load_catalog()
    tiers_of: dict[str, list[str]] = {}
    for name in catalog.tier_names():
        for model in catalog.tier(name):
            tiers_of.setdefault(model, []).append(name)
    if tier is not None or listed is not None:
        ids = select_models(catalog, tier=tier, models=listed)[1]
    else:
        ids = list(dict.fromkeys([*catalog.models, *tiers_of])) if show_all else list(tiers_of)
    rows = [_model_row(catalog, model_id, tiers_of.get(model_id, [])) for model_id in ids]
    if as_json:
        print_json(
            {"catalog": catalog.hash, "snapshot_date": catalog.snapshot_date, "models": rows}
        )
        return
    table = Table(title=f"models{' of ' + tier if tier else ''} (catalog {catalog.hash[:12]})")
    add_model_column(table)  # model ids are what users copy: wrapped, never cut
    for column in ("in $/M", "out $/M", "context", "tiers", "note"):
        table.add_column(column, justify="right" if "$" in column else "left")
    for row in rows:
        table.add_row(
            row["model"],
            "variable" if row["variable_price"] else f"{row['input_price_per_m']:g}",
            "variable" if row["variable_price"] else f"{row['output_price_per_m']:g}",
            str(row["context_length"] or "-"),
            ", ".join(row["tiers"]),
            _model_note(row),
        )
    fit_model_column(table, console)
    console.print(table)
    console.print(
        f"prices as of {catalog.snapshot_date or 'unknown'} from {catalog.source}; they change - "
        "`map-elite models refresh` updates them",
        markup=False,
        soft_wrap=True,
    )


def _model_row(catalog: Catalog, model_id: str, tiers: list[str]) -> dict[str, Any]:
    """One model as the table and ``--json`` show it. A config tier may name an OpenRouter
    model a refresh removed: it is listed as not in the catalog (running it is the error)."""
    from mapelite.catalog.models import ModelEntry, split_model_id
    from mapelite.errors import InvalidInputError

    try:
        entry = catalog.get(model_id)
        in_catalog = True
    except InvalidInputError:
        provider, name = split_model_id(model_id)
        entry = ModelEntry(id=model_id, provider=provider, name=name)
        in_catalog = False
    return {
        "model": entry.id,
        "input_price_per_m": entry.input_price_per_m,
        "output_price_per_m": entry.output_price_per_m,
        "context_length": entry.context_length,
        "tiers": tiers,
        "free": entry.free,
        "rate_limit": entry.rate_limit,
        "variable_price": entry.variable_price,
        "simulated": entry.simulated,
        "skill": entry.skill,
        "configured": entry.configured,
        "in_catalog": in_catalog,
    }


def _model_note(row: dict[str, Any]) -> str:
    notes = []
    if row["simulated"]:
        notes.append(f"SIMULATED skill {row['skill']}")
    if row["free"]:
        notes.append("free" + (f", {row['rate_limit']}" if row["rate_limit"] else ""))
    if row["variable_price"]:
        notes.append("variable price (per request)")
    if row["configured"]:
        notes.append("priced in mapelite.toml")
    if not row["in_catalog"]:
        notes.append("not in the catalog (removed by a refresh?)")
    return "; ".join(notes)


@models_app.command("refresh")
def models_refresh_command(as_json: bool = JSON_OPTION) -> None:
    """Fetch OpenRouter's model list and write $MAPELITE_HOME/catalog.json: price tiers
    recomputed from their bands, non-chat models left out, free and variable-price models
    marked and kept out of tiers; prints what changed. Tiers of mapelite.toml are not touched.

    Example: map-elite models refresh
    """
    from mapelite.catalog.refresh import refresh_from_openrouter
    from mapelite.config.settings import get_settings

    path, summary = refresh_from_openrouter(get_settings())
    if as_json:
        print_json(
            {
                "catalog": str(path),
                **summary.model_dump(mode="json"),
                "warnings": summary.warnings,
            }
        )
        return
    console.print(f"catalog refreshed -> {path}", markup=False, soft_wrap=True)
    for line in summary.lines():
        console.print(line, markup=False, soft_wrap=True)
    for warning in summary.warnings:
        console.print(f"warning: {warning}", markup=False, soft_wrap=True)


@commands.command("harnesses")
def harnesses_command(
    as_json: bool = JSON_OPTION,
) -> None:
    """List the eight harnesses with their item banks and item counts.

    A bank is where a run's items come from (--bank): core (the curated items), gen (a seeded
    generator: as many distinct items as asked), humaneval (SHAPE), or a dataset file.

    Example: map-elite harnesses
    """
    from rich.table import Table

    from mapelite.banks.listing import bank_table
    from mapelite.harnesses import HARNESSES

    rows = bank_table()
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table(title="harnesses and their item banks (--bank; or a JSONL/CSV/Parquet file)")
    for column in ("id", "name", "measures", "bank", "items", "version", "about the bank"):
        table.add_column(column, justify="right" if column == "items" else "left")
    for harness_id, harness in sorted(HARNESSES.items()):
        banks = [row for row in rows if row.harness_id == harness_id]
        for index, row in enumerate(banks):
            first = index == 0
            table.add_row(
                str(harness_id) if first else "",
                harness.name if first else "",
                harness.description if first else "",
                row.bank,
                "≥ 1000" if row.items is None else str(row.items),
                row.version,
                row.note,
                end_section=index == len(banks) - 1,
            )
    console.print(table)


PROMPT_CHARS = 2000
"""A longer prompt (a 64k STORE haystack) is cut in the table; ``--json`` prints it whole."""


@commands.command("items")
@takes_run_options(
    only=("item_seed", "context_tokens", "instructions_per_prompt", "reasoning_steps")
)
def items_command(
    harness: str = typer.Argument(..., help="one harness: id or name, e.g. 7 or DECIDE"),
    items: int = typer.Option(3, "--items", min=1, help="how many items to show"),
    bank: str | None = typer.Option(
        None,
        "--bank",
        help="gen | core | humaneval (SHAPE) | PATH of a dataset file (default gen: the generator)",
    ),
    options: RunOptions = RUN_OPTIONS,
    as_json: bool = typer.Option(
        False, "--json", help="print a JSON list of {id, bank, prompt, reference, ...}"
    ),
) -> None:
    """Print sample items of a harness: what it asks and the reference answer.

    With the same --bank, --items, --item-seed and knobs as a run it shows the items that run
    answers. Without --bank it shows the gen bank's generated items.

    Example: map-elite items DECIDE --bank gen --items 3 --item-seed 1
    """
    from rich.text import Text

    from mapelite.banks.listing import item_views
    from mapelite.config.settings import get_settings
    from mapelite.errors import InvalidInputError
    from mapelite.harnesses import parse_harness_selection

    harness_ids = parse_harness_selection(harness)
    if len(harness_ids) != 1:
        raise InvalidInputError(f"give one harness, not {harness!r}")
    defaults = get_settings().defaults
    shown = options.model_copy(update={"bank": bank or defaults.bank or "gen", "items": items})
    sample = shown.resolved(defaults, simulated=False).sample
    note_capped_sample(sample, harness_ids)
    views = item_views(
        harness_ids[0],
        sample.items,
        sample.item_seed,
        bank=sample.bank,
        context_tokens=sample.context_tokens,
        instructions=sample.instructions_per_prompt,
        steps=sample.reasoning_steps,
    )
    if as_json:
        print(json.dumps([view.model_dump(mode="json") for view in views]))
        return
    for view in views:
        prompt = view.prompt
        if len(prompt) > PROMPT_CHARS:
            rest = len(prompt) - PROMPT_CHARS
            prompt = f"{prompt[:PROMPT_CHARS]}… [{rest} more characters; --json prints all]"
        family = f", family {view.family}" if view.family else ""
        console.rule(Text(f"{view.id}  (bank {view.bank} v{view.bank_version}{family})"))
        console.print(prompt, markup=False, highlight=False, soft_wrap=True)
        console.print(f"reference: {view.reference}", markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    for command in commands.registered_commands:
        command.help = help_text(command.callback.__doc__ if command.callback else None)
        app.registered_commands.append(command)
    for command in models_app.registered_commands:
        command.help = help_text(command.callback.__doc__ if command.callback else None)
    app.add_typer(models_app, name="models")
