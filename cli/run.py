"""``map-elite run HARNESS (--tier T | MODEL...)``: the quick "does my key and this model work".

Runs through the local runner without Prefect, prints a result table (with the SIMULATED notice
when any row is a mockllm model), appends every result to the ledger, and exits non-zero when
every run failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from cli.app import EXIT_FAILED, add_command
from cli.options import YES_OPTION, cost_gate
from cli.output import err_console, make_console, print_estimate, print_simulated_notice, say
from mapelite.errors import InvalidInputError

if TYPE_CHECKING:
    from rich.table import Table

    from mapelite.schemas import HarnessResult, HarnessRunnerOptions
    from mapelite.settings import Settings

ERROR_CHARS = 90


def resolve_models(tier: str | None, models: Sequence[str]) -> list[str]:
    from mapelite.catalog import load_catalog

    if tier and models:
        raise InvalidInputError("give either --tier or model ids, not both")
    if tier:
        return load_catalog().tier(tier)
    if not models:
        raise InvalidInputError(
            "give --tier NAME or model ids, e.g. map-elite run 0 --tier demo, or "
            "map-elite run SENSE openrouter/openai/gpt-5-nano"
        )
    return list(models)


def check_cost(
    models: list[str], harness_ids: list[int], tier: str | None, settings: Settings, yes: bool
) -> None:
    from mapelite.cost import estimate_batch

    estimate = estimate_batch(
        models, harness_ids, 1, tier=tier or "custom", warn_usd=settings.warn_usd
    )
    print_estimate(estimate, make_console())
    cost_gate(estimate, yes)


async def run_harnesses(
    harness_ids: list[int],
    models: list[str],
    options: HarnessRunnerOptions,
    settings: Settings,
) -> list[HarnessResult]:
    from runners.local import LocalHarnessRunner

    results: list[HarnessResult] = []
    async with LocalHarnessRunner(settings) as runner:
        for harness_id in harness_ids:
            results += await runner.run_batch(harness_id, models, options)
    return results


def result_table(results: Sequence[HarnessResult]) -> Table:
    from rich.table import Table
    from rich.text import Text

    simulated = any(r.simulated for r in results)
    table = Table(title="map-elite run" + (" (SIMULATED)" if simulated else ""))
    for column in ("harness", "model", "score", "latency s", "cost $", "error"):
        table.add_column(
            column,
            justify="right" if column in ("score", "latency s") else "left",
            overflow="fold" if column == "model" else "ellipsis",  # ids are copied: never cut
        )
    for r in results:
        meta = r.metadata
        error = meta.error or ""
        if len(error) > ERROR_CHARS:
            error = error[:ERROR_CHARS] + "…"
        cells = (
            f"{r.harness_id} {r.harness_name}",
            r.model + (" (sim)" if r.simulated else ""),
            f"{r.scores.normalized:.3f}",
            f"{meta.latency_s:.2f}",
            f"{meta.cost_usd:.6f} ({meta.cost_source})",
            error,
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: model output is not markup
    return table


def run_command(
    harness: str = typer.Argument(..., help="harness id or name: 0, SENSE, 0,2,7 or all"),
    models: list[str] | None = typer.Argument(
        None, help="model ids, e.g. openrouter/openai/gpt-5-nano ollama/llama3.2:1b"
    ),
    tier: str | None = typer.Option(None, "--tier", "-t", help="run every model of this tier"),
    timeout_s: float = typer.Option(300.0, "--timeout", help="seconds per harness run"),
    retries: int = typer.Option(3, "--retries", help="retries per call after the first"),
    seed: int = typer.Option(0, "--seed", help="seed passed to the models (and simulator)"),
    yes: bool = YES_OPTION,
) -> None:
    """Run a harness on some models through the local runner and append to the ledger.

    Example: map-elite run SENSE --tier demo
    """
    from mapelite.harnesses import parse_harness_selection
    from mapelite.ledger import Ledger
    from mapelite.schemas import HarnessRunnerOptions
    from mapelite.settings import get_settings

    settings = get_settings()
    harness_ids = parse_harness_selection(harness)
    chosen = resolve_models(tier, models or [])
    check_cost(chosen, harness_ids, tier, settings, yes)
    options = HarnessRunnerOptions(timeout_s=timeout_s, retries=retries, seed=seed)
    results = asyncio.run(run_harnesses(harness_ids, chosen, options, settings))
    stored = Ledger(settings.ledger).append_many(results)

    console = make_console()
    simulated = any(r.simulated for r in results)
    if simulated:
        print_simulated_notice(console)
    console.print(result_table(results))
    if simulated:
        print_simulated_notice(console)
    say(console, f"appended {len(stored)} entries to {settings.ledger}")
    if results and all(r.failed for r in results):
        say(err_console, "error: every run failed; see the error column")
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    add_command(app, "run", run_command)
