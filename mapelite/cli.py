"""The ``map-elite`` command line: core commands (no orchestrator needed).

Upper layers add their commands with ``register(app)`` (runners/cli.py, profiles/cli.py,
flows/cli.py); the console script is ``flows.cli:main``, which composes them all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from mapelite.errors import MapEliteError

app = typer.Typer(
    name="map-elite",
    help="Evaluate cheap LLMs alone and in swarms; every result in a tamper-evident ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error = one line, never wrapped


def run_app(typer_app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one line on stderr and a non-zero exit code."""
    try:
        # Without standalone mode click returns (not raises) the code of a `typer.Exit`.
        result = typer_app(args=argv, standalone_mode=False)
    except MapEliteError as exc:
        err_console.print(f"error: {exc.message}", markup=False, highlight=False)
        return exc.exit_code
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        err_console.print(f"error: invalid {where}: {first.get('msg')}", markup=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; results written so far are in the ledger", markup=False)
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 1
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            msg = exc.format_message().splitlines()[0]
            err_console.print(f"error: {msg}", markup=False, highlight=False)
            return exc.exit_code
        raise
    return result if isinstance(result, int) else 0


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_app(app, argv))


Command = Callable[..., Any]


# -- core commands -----------------------------------------------------------------------------
# Imports are local to each command so `map-elite --help` stays fast.


@app.command("verify")
def verify_command(
    ledger: Path | None = typer.Argument(None, help="ledger file (default: the settings' one)"),
) -> None:
    """Check the ledger's hash chain; exit 0 when intact, 1 when corrupt or missing."""
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


@app.command("cost-estimate")
def cost_estimate_command(
    pattern: str = typer.Argument(..., help="swarm pattern, e.g. :10 :01 :1010 :20"),
    tier: str = typer.Option(..., "--tier", "-t", help="model tier, e.g. tier1 or demo"),
    harness: str = typer.Option("all", "--harness", "-H", help="harness ids/names or 'all'"),
    lead: str | None = typer.Option(None, "--lead", help="model of the width-1 stages"),
    runs: int = typer.Option(1, "--runs", min=1, help="how many times the swarm runs"),
) -> None:
    """Estimate what a swarm costs before running it."""
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
    _print_estimate(estimate)


def _print_estimate(estimate: Any) -> None:
    from rich.table import Table

    label = " (SIMULATED models, simulated prices)" if estimate.simulated else ""
    table = Table(title=f"cost estimate {estimate.pattern or ''} on {estimate.tier}{label}")
    width = max((len(m) for m in estimate.per_model_cost), default=5)
    table.add_column("model", no_wrap=True, min_width=width)
    table.add_column("estimated USD", justify="right")
    for model, cost in sorted(estimate.per_model_cost.items(), key=lambda kv: -kv[1]):
        table.add_row(model, f"{cost:.6f}")
    console.print(table)
    console.print(
        f"pattern {estimate.pattern}  tier {estimate.tier}  models {estimate.model_count}  "
        f"harnesses {','.join(map(str, estimate.harness_ids))}  runs {estimate.runs}",
        markup=False,
        soft_wrap=True,
    )
    console.print(
        f"calls {estimate.total_calls}  tokens ~{estimate.estimated_tokens}  "
        f"avg ${estimate.avg_price_per_m:.4f}/M  estimated ${estimate.estimated_cost:.4f}  "
        f"worst case ${estimate.worst_case_cost:.4f}",
        markup=False,
        soft_wrap=True,
    )
    if estimate.simulated:
        console.print(
            "SIMULATED: mockllm models run offline; no money is spent.",
            markup=False,
            soft_wrap=True,
        )
    if estimate.warning:
        console.print(f"WARNING: {estimate.warning}", markup=False, soft_wrap=True)


models_app = typer.Typer(help="List catalog models and tiers; `models refresh` updates prices.")
app.add_typer(models_app, name="models")


@models_app.callback(invoke_without_command=True)
def models_command(
    ctx: typer.Context,
    tier: str | None = typer.Option(None, "--tier", "-t", help="only this tier"),
    show_all: bool = typer.Option(False, "--all", help="also models in no tier"),
) -> None:
    """List models with prices (USD per M tokens), context length and tiers."""
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
    """Fetch OpenRouter's model list and write $MAPELITE_HOME/catalog.json."""
    from mapelite.catalog import (
        CATALOG_FILE_NAME,
        parse_openrouter_models,
        refreshed_catalog_data,
        write_catalog,
    )
    from mapelite.errors import ConfigError
    from mapelite.providers.openrouter import fetch_models
    from mapelite.settings import get_settings

    settings = get_settings()
    fresh = parse_openrouter_models(fetch_models(settings))
    if not fresh:
        raise ConfigError("OpenRouter's model list had no priced models; catalog left unchanged")
    data, dropped = refreshed_catalog_data(fresh)
    path = write_catalog(data, settings.home / CATALOG_FILE_NAME)
    console.print(
        f"catalog refreshed: {len(fresh)} OpenRouter models -> {path}", markup=False, soft_wrap=True
    )
    if dropped:
        console.print(
            f"no longer listed, removed from tiers: {', '.join(dropped)}",
            markup=False,
            soft_wrap=True,
        )


@app.command("harnesses")
def harnesses_command() -> None:
    """List the eight harnesses: id, name, item count and what each measures."""
    from rich.table import Table

    from mapelite.harnesses import HARNESSES

    table = Table(title="harnesses")
    for column in ("id", "name", "items", "measures"):
        table.add_column(column)
    for harness_id, harness in sorted(HARNESSES.items()):
        table.add_row(str(harness_id), harness.name, str(len(harness.items)), harness.description)
    console.print(table)
