"""``map-elite run HARNESS (--tier T | MODEL...)``: the quick "does my key and this model work".

Makes the same pre-run check as every command that calls a model (the ledger verifies and takes
appends, every endpoint answers and takes its key) before the cost gate and its first call, runs
through the local runner without Prefect, prints a result table (with the SIMULATED notice when
any row is a mockllm model), appends every result to the ledger, and exits 5 ("completed with
errors", the errors listed by cause) when any run ended in errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from cli.app import add_command
from cli.options import (
    JSON_OPTION,
    MODELS_OPTION,
    RUN_OPTIONS,
    SELECT_TIER_OPTION,
    cost_gate,
    note_capped_sample,
    refuse_unconfirmed,
    resolve_run_options,
    takes_run_options,
)
from cli.output import (
    make_console,
    print_estimate,
    print_json,
    print_simulated_notice,
    say,
    stdout_for_json,
)
from mapelite.config.run_options import RunOptions
from mapelite.errors import InvalidInputError

if TYPE_CHECKING:
    from rich.table import Table

    from mapelite.config.settings import Settings
    from mapelite.schemas import HarnessResult, HarnessRunnerOptions

ERROR_CHARS = 90


def resolve_models(
    tier: str | None,
    models: Sequence[str],
    listed: str | None = None,
    reasoning: str | None = None,
) -> list[str]:
    """The setups of ``--tier``, of the MODEL arguments, or of ``--models a,b`` (one of them),
    ``reasoning`` (``--reasoning``) for the models that reason and have no setting of their own."""
    from mapelite.catalog.models import load_catalog
    from mapelite.catalog.setups import select_models

    if sum(1 for given in (tier, models, listed) if given) > 1:
        raise InvalidInputError("give one of --tier, --models or model ids, not several")
    if not (tier or models or listed):
        raise InvalidInputError(
            "give --tier NAME, --models a,b or model ids, e.g. map-elite run 0 --tier demo, or "
            "map-elite run SENSE openrouter/openai/gpt-5-nano"
        )
    if tier:
        return select_models(load_catalog(), tier=tier, reasoning=reasoning)[1]
    return select_models(load_catalog(), models=listed or list(models), reasoning=reasoning)[1]


def check_cost(
    models: list[str],
    harness_ids: list[int],
    tier: str | None,
    settings: Settings,
    yes: bool,
    options: HarnessRunnerOptions | None = None,
    runs: int = 1,
) -> None:
    from mapelite.catalog.cost import estimate_batch

    estimate = estimate_batch(
        models,
        harness_ids,
        runs,
        tier=tier or "custom",
        warn_usd=settings.warn_usd,
        options=options,
    )
    refuse_unconfirmed(estimate, yes)  # a refusal is the only line printed
    print_estimate(estimate, make_console())
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


def _score_text(result: HarnessResult) -> str:
    """The mean over scored items; ``-`` when nothing was scored (errors are not scores)."""
    from mapelite.ledger.outcomes import scored_mean

    mean = scored_mean(result)
    return "-" if mean is None else f"{mean:.3f}"


def result_table(results: Sequence[HarnessResult]) -> Table:
    from rich.table import Table
    from rich.text import Text

    from cli.summaries import coverage_text

    simulated = any(r.simulated for r in results)
    table = Table(title="map-elite run" + (" (SIMULATED)" if simulated else ""))
    for column in ("harness", "model", "score", "coverage", "latency s", "cost $", "error"):
        table.add_column(
            column,
            justify="right" if column in ("score", "coverage", "latency s") else "left",
            overflow="fold" if column == "model" else "ellipsis",  # ids are copied: never cut
        )
    for r in results:
        meta = r.metadata
        error = meta.error or ""
        if len(error) > ERROR_CHARS:
            error = error[:ERROR_CHARS] + "…"
        cells = (
            f"{r.harness_id} {r.harness_name}",
            r.setup + (" (sim)" if r.simulated else ""),
            _score_text(r),
            coverage_text([r]),
            f"{meta.latency_s:.2f}",
            f"{meta.cost_usd:.6f} ({meta.cost_source}{cached_note(r)})",
            error,
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: model output is not markup
    return table


def cached_note(result: HarnessResult) -> str:
    """``, 3/3 cached`` when items were answered from the response cache, else nothing."""
    items = result.metadata.items
    cached = sum(item.cached for item in items)
    return f", {cached}/{len(items)} cached" if cached else ""


def remember_answers(stored: Sequence[HarnessResult], settings: Settings) -> None:
    """Answers that asked for the cache go into it once they are in the ledger (as the flows'
    ledger appender does)."""
    from mapelite.providers.cache import ResponseCache, responses_to_cache

    fresh = responses_to_cache(stored)
    if fresh:
        ResponseCache.in_home(settings.home).put_many(fresh)


@takes_run_options(exclude=("runner", "run_id", "budget_usd"))
def run_command(
    harness: str = typer.Argument(..., help="harness id or name: 0, SENSE, 0,2,7 or all"),
    models: list[str] | None = typer.Argument(
        None, help="model ids, e.g. openrouter/openai/gpt-5-nano ollama/llama3.2:1b"
    ),
    tier: str | None = SELECT_TIER_OPTION,
    listed: str | None = MODELS_OPTION,
    options: RunOptions = RUN_OPTIONS,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a harness on some models through the local runner and append to the ledger.

    Every model answers the same items: those --bank, --items and --item-seed choose (the
    defaults table of mapelite.toml applies when they are not given).

    Example: map-elite run SENSE --tier demo
    Example: map-elite run DECIDE --bank gen --items 20 --item-seed 7 --tier demo
    Example: map-elite run 0,7 --models mockllm/atlas,mockllm/birch --runs 2 --json
    """
    from cli.summaries import exit_if_errors
    from mapelite.config.settings import get_settings
    from mapelite.harnesses import parse_harness_selection
    from mapelite.ledger.chain import Ledger
    from mapelite.prerun import pre_run_check_sync
    from mapelite.providers.error_groups import error_report_lines

    settings = get_settings()
    harness_ids = parse_harness_selection(harness)
    chosen = resolve_models(tier, models or [], listed, options.reasoning)
    resolved = resolve_run_options(options, chosen)
    runs = resolved.runs or 1
    note_capped_sample(resolved.sample, harness_ids)
    runner_options = resolved.runner_options()
    # Before the estimate and the first paid call: results that could not be recorded must not
    # be paid for.
    pre_run_check_sync(chosen, settings)
    with stdout_for_json(as_json):  # the estimate goes to stderr: stdout holds only the JSON
        check_cost(chosen, harness_ids, tier, settings, resolved.yes, runner_options, runs)
        results = asyncio.run(run_harnesses(harness_ids, chosen, runner_options, settings, runs))
    stored = Ledger(settings.ledger).append_many(results)
    remember_answers(stored, settings)
    if as_json:
        print_json([r.model_dump(mode="json") for r in stored])
        exit_if_errors(results, "see metadata.error of the entries")
        return

    console = make_console()
    simulated = any(r.simulated for r in results)
    if simulated:
        print_simulated_notice(console)
    console.print(result_table(results))
    if simulated:
        print_simulated_notice(console)
    say(console, f"appended {len(stored)} entries to {settings.ledger}")
    for line in error_report_lines(results, settings):
        say(console, f"errors: {line}")
    exit_if_errors(results, "see the errors above")


def register(app: typer.Typer) -> None:
    add_command(app, "run", run_command)
