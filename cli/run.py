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
from cli.options import (
    JSON_OPTION,
    MODELS_OPTION,
    RUNS_OPTION,
    SEED_OPTION,
    SELECT_TIER_OPTION,
    YES_OPTION,
    cost_gate,
    run_defaults,
)
from cli.output import err_console, make_console, print_json, print_simulated_notice, say
from mapelite.errors import InvalidInputError

if TYPE_CHECKING:
    from rich.table import Table

    from mapelite.schemas import HarnessResult, HarnessRunnerOptions
    from mapelite.settings import Settings

ERROR_CHARS = 90


def resolve_models(tier: str | None, models: Sequence[str], listed: str | None = None) -> list[str]:
    """The models of ``--tier``, of the MODEL arguments, or of ``--models a,b`` (one of them)."""
    from mapelite.catalog import load_catalog, select_models

    if sum(1 for given in (tier, models, listed) if given) > 1:
        raise InvalidInputError("give one of --tier, --models or model ids, not several")
    if not (tier or models or listed):
        raise InvalidInputError(
            "give --tier NAME, --models a,b or model ids, e.g. map-elite run 0 --tier demo, or "
            "map-elite run SENSE openrouter/openai/gpt-5-nano"
        )
    if tier:
        return select_models(load_catalog(), tier=tier)[1]
    return select_models(load_catalog(), models=listed or list(models))[1]


def check_cost(
    models: list[str],
    harness_ids: list[int],
    tier: str | None,
    settings: Settings,
    yes: bool,
    runs: int = 1,
) -> None:
    from mapelite.cost import estimate_batch

    estimate = estimate_batch(
        models, harness_ids, runs, tier=tier or "custom", warn_usd=settings.warn_usd
    )
    cost_gate(estimate, yes)


async def run_harnesses(
    harness_ids: list[int],
    models: list[str],
    options: HarnessRunnerOptions,
    settings: Settings,
    runs: int = 1,
) -> list[HarnessResult]:
    """Every harness on every model, ``runs`` times (repeat r with seed ``options.seed + r``)."""
    from runners.local import LocalHarnessRunner

    results: list[HarnessResult] = []
    async with LocalHarnessRunner(settings) as runner:
        for repeat in range(runs):
            seeded = options.model_copy(update={"seed": options.seed + repeat})
            for harness_id in harness_ids:
                results += await runner.run_batch(harness_id, models, seeded)
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
    tier: str | None = SELECT_TIER_OPTION,
    listed: str | None = MODELS_OPTION,
    timeout_s: float = typer.Option(300.0, "--timeout", help="seconds per harness run"),
    retries: int = typer.Option(3, "--retries", help="retries per call after the first"),
    runs: int | None = RUNS_OPTION,
    seed: int | None = SEED_OPTION,
    yes: bool = YES_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a harness on some models through the local runner and append to the ledger.

    Example: map-elite run SENSE --tier demo
    Example: map-elite run 0,7 --models mockllm/atlas,mockllm/birch --runs 2 --json
    """
    from mapelite.harnesses import parse_harness_selection
    from mapelite.ledger import Ledger
    from mapelite.schemas import HarnessRunnerOptions
    from mapelite.settings import get_settings

    settings = get_settings()
    runs, seed = run_defaults(runs, seed)
    harness_ids = parse_harness_selection(harness)
    chosen = resolve_models(tier, models or [], listed)
    check_cost(chosen, harness_ids, tier, settings, yes, runs)
    options = HarnessRunnerOptions(timeout_s=timeout_s, retries=retries, seed=seed)
    results = asyncio.run(run_harnesses(harness_ids, chosen, options, settings, runs))
    stored = Ledger(settings.ledger).append_many(results)
    failed = bool(results) and all(r.failed for r in results)
    if as_json:
        print_json([r.model_dump(mode="json") for r in stored])
        if failed:
            say(err_console, "error: every run failed; see metadata.error")
            raise typer.Exit(EXIT_FAILED)
        return

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
