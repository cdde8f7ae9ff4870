"""Ledger and catalog commands: verify, cost-estimate, models (and models refresh), harnesses."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.app import help_text
from cli.options import DETECT_OPTION
from cli.output import make_console, print_estimate_table

# Imports of the project's modules are local to each command so `map-elite --help` stays fast.

console = make_console()
commands = typer.Typer()
"""This group's commands; `register` adds them to the app."""


@commands.command("verify")
def verify_command(
    ledger: Path | None = typer.Argument(None, help="ledger file (default: the settings' one)"),
) -> None:
    """Check the ledger's hash chain; exit 0 when intact, 1 when corrupt or missing.

    Example: map-elite verify
    """
    from mapelite.ledger import Ledger
    from mapelite.settings import get_settings

    path = ledger if ledger is not None else get_settings().ledger
    report = Ledger(path).require().verify()
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
def cost_estimate_command(
    pattern: str = typer.Argument(..., help="swarm pattern, e.g. :10 :01 :1010 :20"),
    tier: str = typer.Option(..., "--tier", "-t", help="model tier, e.g. tier1 or demo"),
    harness: str = typer.Option("all", "--harness", "-H", help="harness ids/names or 'all'"),
    lead: str | None = typer.Option(None, "--lead", help="model of the width-1 stages"),
    runs: int = typer.Option(1, "--runs", min=1, help="how many times the swarm runs"),
    detect: float | None = DETECT_OPTION,
) -> None:
    """Estimate what a swarm costs before running it, and the smallest difference per harness
    its items can detect at 80% power; with --detect D, the items and dollars to detect D.

    Example: map-elite cost-estimate :1010 --tier demo --harness all --runs 4
    Example: map-elite cost-estimate :10 --tier demo --detect 0.1
    """
    from mapelite.catalog import load_catalog
    from mapelite.cost import estimate_swarm
    from mapelite.harnesses import parse_harness_selection
    from mapelite.patterns import parse_pattern
    from mapelite.settings import get_settings

    settings = get_settings()
    parsed = parse_pattern(pattern, settings.max_agents)
    catalog = load_catalog()
    models = catalog.tier(tier)
    harness_ids = parse_harness_selection(harness)
    if lead is not None:
        catalog.get(lead)  # an unknown lead model is a one-line error
    estimate = estimate_swarm(
        parsed, models, harness_ids, tier=tier, lead=lead, warn_usd=settings.warn_usd, runs=runs
    )
    print_estimate_table(estimate, console, detect)


models_app = typer.Typer(
    help="List catalog models and tiers; `models refresh` updates prices.\n\n"
    "Example: map-elite models --tier demo"
)


@models_app.callback(invoke_without_command=True)
def models_command(
    ctx: typer.Context,
    tier: str | None = typer.Option(None, "--tier", "-t", help="only this tier"),
    show_all: bool = typer.Option(False, "--all", help="also models in no tier"),
) -> None:
    """List models with prices (USD per M tokens), context length and tiers.

    Example: map-elite models --tier demo
    """
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from mapelite.catalog import load_catalog

    catalog = load_catalog()
    tiers_of: dict[str, list[str]] = {}
    for name in catalog.tier_names():
        for model in catalog.tier(name):
            tiers_of.setdefault(model, []).append(name)
    listed = list(catalog.models) if show_all else list(tiers_of)
    ids = catalog.tier(tier) if tier else listed
    table = Table(title=f"models{' of ' + tier if tier else ''} (catalog {catalog.hash[:12]})")
    # Model ids are what users copy: never truncate them.
    table.add_column("model", no_wrap=True, min_width=max((len(i) for i in ids), default=5))
    for column in ("in $/M", "out $/M", "context", "tiers", "note"):
        table.add_column(column, justify="right" if "$" in column else "left")
    for model_id in ids:
        entry = catalog.get(model_id)
        note = f"SIMULATED skill {entry.skill}" if entry.simulated else ""
        table.add_row(
            model_id,
            f"{entry.input_price_per_m:g}",
            f"{entry.output_price_per_m:g}",
            str(entry.context_length or "-"),
            ",".join(tiers_of.get(model_id, [])),
            note,
        )
    console.print(table)
    console.print(
        f"prices as of {catalog.snapshot_date or 'unknown'} from {catalog.source}; they change - "
        "`map-elite models refresh` updates them",
        markup=False,
        soft_wrap=True,
    )


@models_app.command("refresh")
def models_refresh_command() -> None:
    """Fetch OpenRouter's model list and write $MAPELITE_HOME/catalog.json.

    Example: map-elite models refresh
    """
    from mapelite.catalog_refresh import refresh_from_openrouter
    from mapelite.settings import get_settings

    path, summary = refresh_from_openrouter(get_settings())
    console.print(f"catalog refreshed -> {path}", markup=False, soft_wrap=True)
    for line in summary.lines():
        console.print(line, markup=False, soft_wrap=True)
    for warning in summary.warnings:
        console.print(f"warning: {warning}", markup=False, soft_wrap=True)


@commands.command("harnesses")
def harnesses_command() -> None:
    """List the eight harnesses: id, name, item count and what each measures.

    Example: map-elite harnesses
    """
    from rich.table import Table

    from mapelite.harnesses import HARNESSES

    table = Table(title="harnesses")
    for column in ("id", "name", "items", "measures"):
        table.add_column(column)
    for harness_id, harness in sorted(HARNESSES.items()):
        table.add_row(str(harness_id), harness.name, str(len(harness.items)), harness.description)
    console.print(table)


def register(app: typer.Typer) -> None:
    for command in commands.registered_commands:
        command.help = help_text(command.callback.__doc__ if command.callback else None)
        app.registered_commands.append(command)
    for command in models_app.registered_commands:
        command.help = help_text(command.callback.__doc__ if command.callback else None)
    app.add_typer(models_app, name="models")
