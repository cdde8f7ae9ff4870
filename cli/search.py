"""``map-elite search`` (a MAP-Elites archive of setups, raced on a budget) and
``map-elite simulate truth`` (the simulator's true expected score of a setup)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer

import flows  # noqa: F401  (prepares Prefect's environment before anything imports Prefect)
from cli.app import add_command
from cli.flows import _gather, _run_flow, _start_local_api, _start_run, console
from cli.options import (
    JSON_OPTION,
    MODELS_OPTION,
    RUN_OPTIONS,
    SELECT_TIER_OPTION,
    takes_run_options,
)
from cli.output import print_json, print_simulated_notice, say, stdout_for_json
from mapelite.config.run_options import RunOptions
from mapelite.errors import BudgetExceededError, InvalidInputError

if TYPE_CHECKING:
    from mapelite.catalog.cost import CostEstimate
    from mapelite.config.run_options import RunOptions
    from mapelite.search.racing import RaceConfig
    from mapelite.search.report import SearchReport
    from mapelite.search.setups import SetupSpace

simulate_app = typer.Typer(
    help="The offline simulator (SIMULATED): what it knows about setups.\n\n"
    "Example: map-elite simulate truth mockllm/atlas --harness 7",
    no_args_is_help=True,
)


def search_estimate(space: SetupSpace, config: RaceConfig, warn_usd: float) -> CostEstimate:
    """What the budget can buy, before any call: the full grid of the space on the race's items
    and the first generation (every setup), against the budget; the search spends at most the
    budget."""
    from mapelite.catalog.cost import CostEstimate, warning_text
    from mapelite.catalog.models import load_catalog
    from mapelite.search.simulated import cost_function

    cost_of = cost_function(config)
    setups = space.setups()
    per_item = sum(cost_of(s).usd for s in setups)
    calls_per_item = sum(cost_of(s).calls for s in setups)
    items = config.generations * config.items_per_generation
    full = per_item * items
    spend = full if config.budget_usd is None else min(full, config.budget_usd)
    catalog = load_catalog()
    return CostEstimate(
        tier="search",
        model_count=len(space.models),
        harness_ids=list(config.harness_ids),
        total_calls=min(calls_per_item * items, config.max_calls or calls_per_item * items),
        avg_price_per_m=0.0,
        estimated_tokens=0,
        estimated_cost=spend,
        worst_case_cost=spend,
        warning=warning_text(spend, warn_usd),
        simulated=all(catalog.is_simulated(m) for m in space.models),
        items_per_harness={h: config.round_items for h in config.harness_ids},
    )


def estimate_lines(space: SetupSpace, config: RaceConfig) -> list[str]:
    from mapelite.catalog.cost import format_usd
    from mapelite.search.simulated import cost_function
    from mapelite.stats.power import detectable_difference

    cost_of = cost_function(config)
    setups = space.setups()
    first = sum(cost_of(s).usd for s in setups) * config.items_per_generation
    full = first * config.generations
    budget = config.budget_usd
    share = f"{budget / full:.0%} of it" if budget is not None and full else "no budget"
    generations = f"{budget / first:.1f}" if budget is not None and first else "every"
    most = config.generations * config.items_per_generation
    detect = detectable_difference(most, paired=True)
    return [
        f"search space: {len(setups)} setups; full grid on {most} items: {format_usd(full)}; "
        f"budget {format_usd(budget or 0)} ({share})",
        f"the budget runs all setups for {generations} of {config.generations} generations; "
        f"racing stops losers early, so survivors get up to {most} items (a survivor can be "
        f"told from its elite at a difference of about {detect:.2f})",
    ]


async def _search(
    models: list[str],
    space: SetupSpace,
    config: RaceConfig,
    runner: str,
    run_id: str | None,
    yes: bool,
) -> SearchReport:
    from flows.search import search_flow
    from mapelite.config.settings import get_settings
    from mapelite.search.report import SearchReport

    settings = get_settings()
    estimate = search_estimate(space, config, settings.warn_usd)
    choice = RunOptions(runner=runner, run_id=run_id, yes=yes, budget_usd=config.budget_usd)
    for line in estimate_lines(space, config):
        say(console, line)
    # A search's sub-runs are its own (one per generation): its run id is checked by the flow.
    run = await _start_run(choice, models, estimate, settings, lambda base: [])
    return await _run_flow(
        partial(
            search_flow,
            models,
            config,
            space,
            runner=runner,
            run_id=run,
            preflight=False,
            return_state=True,
        ),
        SearchReport,
    )


@takes_run_options(only=("runner", "run_id", "yes"))
def search_command(
    tier: str | None = SELECT_TIER_OPTION,
    models: str | None = MODELS_OPTION,
    harness: str = typer.Option("7", "--harness", help="harness ids, e.g. 7 or 0,7 (fitness)"),
    settings_: str = typer.Option(
        "off,low,high", "--settings", help="reasoning settings of each model ('off' = plain)"
    ),
    structures: str = typer.Option(
        "single,vote,self-moa,swarm", "--structures", help="which kinds of setups to search"
    ),
    descriptor: str = typer.Option(
        "structure", "--descriptor", help="second cell descriptor: structure or latency"
    ),
    budget_usd: float | None = typer.Option(
        None, "--budget-usd", min=0, help="hard stop on spend (default MAPELITE_BUDGET_USD)"
    ),
    max_calls: int | None = typer.Option(None, "--max-calls", min=1, help="hard stop on calls"),
    generations: int = typer.Option(8, "--generations", min=1),
    round_items: int = typer.Option(20, "--round-items", min=2, help="items per generation"),
    confirm_items: int = typer.Option(60, "--confirm-items", min=0),
    seed: int = typer.Option(0, "--seed", help="chooses the item samples and the draws"),
    options: RunOptions = RUN_OPTIONS,
    out: Path | None = typer.Option(
        None, "--out", help="write search.json, search.md, frontier.png here"
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Search setups (single, vote, self-MoA, swarm patterns) for the best per cost cell:
    a MAP-Elites archive raced on shared items under the budget. Re-run with --run-id to resume.

    Example: map-elite search --tier demo --budget-usd 0.05 --yes
    """
    _start_local_api()
    from mapelite.catalog.models import load_catalog
    from mapelite.catalog.setups import select_models
    from mapelite.config.settings import get_settings
    from mapelite.harnesses import parse_harness_selection
    from mapelite.search.racing import RaceConfig
    from mapelite.search.setups import STRUCTURES, SetupSpace

    if descriptor not in ("structure", "latency"):
        raise InvalidInputError(f"--descriptor is structure or latency, not {descriptor!r}")
    kinds = tuple(k.strip() for k in structures.split(",") if k.strip())
    unknown = [k for k in kinds if k not in STRUCTURES]
    if unknown or not kinds:
        raise InvalidInputError(f"--structures takes {', '.join(STRUCTURES)}; not {unknown}")
    levels = tuple(None if s.strip() == "off" else _setting(s) for s in settings_.split(","))
    _, chosen = select_models(load_catalog(), tier=tier, models=models)
    settings = get_settings()
    config = RaceConfig(
        harness_ids=tuple(parse_harness_selection(harness)),
        round_items=round_items,
        generations=generations,
        confirm_items=confirm_items,
        descriptor=descriptor,
        budget_usd=settings.budget_usd if budget_usd is None else budget_usd,
        max_calls=max_calls,
        seed=seed,
    )
    space = SetupSpace(tuple(chosen), settings=levels, structures=kinds)  # type: ignore[arg-type]
    with stdout_for_json(as_json):
        report = _gather(
            _search(chosen, space, config, options.runner, options.run_id, options.yes)
        )
    if out is not None:
        write_exports(report, out)
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        print_report(report)
    if report.stopped_reason and "budget" in report.stopped_reason:
        raise BudgetExceededError(f"the search stopped at its budget: {report.stopped_reason}")


def _setting(text: str) -> str:
    from mapelite.schemas import ReasoningSetting

    try:
        return str(ReasoningSetting.parse(text))
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def print_report(report: SearchReport) -> None:
    from rich.table import Table

    from mapelite.search.report import HEADERS, archive_rows

    if report.simulated:
        print_simulated_notice(console)
    table = Table(title=f"search {report.run_id}: cost per item x {report.descriptor}")
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for cells in archive_rows(report):
        table.add_row(*cells)
    console.print(table)
    say(console, report.spend_line)
    for statement in report.certified:
        say(console, f"certified: {statement.sentence}")
    if not report.certified:
        say(console, f"certified: none beats the best single setup ({report.best_single})")


def write_exports(report: SearchReport, out: Path) -> None:
    from mapelite.search.report import markdown
    from profiles.search_plot import frontier_plot

    out.mkdir(parents=True, exist_ok=True)
    (out / "search.json").write_text(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    (out / "search.md").write_text(markdown(report))
    frontier_plot(report, out / "frontier.png")


@simulate_app.command("truth")
def truth_command(
    setup: str = typer.Argument(..., help="a setup name, e.g. vote5(mockllm/atlas@low)"),
    harness: str = typer.Option("7", "--harness", help="harness ids (or all)"),
    as_json: bool = JSON_OPTION,
) -> None:
    """The simulator's true expected score of a setup of mockllm models (SIMULATED).

    Example: map-elite simulate truth "moa3(mockllm/birch>mockllm/delta)" --harness 0,7
    """
    from mapelite.catalog.models import load_catalog
    from mapelite.harnesses import parse_harness_selection
    from mapelite.search.setups import parse_name
    from mapelite.search.truth import simulator_truth

    parsed = parse_name(setup)
    catalog = load_catalog()
    for model in parsed.models:
        if not catalog.get(model).simulated:
            raise InvalidInputError(f"{model} is not a simulated (mockllm) model: no truth known")
    truth = simulator_truth()
    scores = {h: truth.score(parsed, h) for h in parse_harness_selection(harness)}
    if as_json:
        print_json({"setup": parsed.name, "simulated": True, "truth": scores})
        return
    print_simulated_notice(console)
    for h, value in scores.items():
        say(console, f"{parsed.name} harness {h}: true expected score {value:.3f} (SIMULATED)")


def register(app: typer.Typer) -> None:
    add_command(app, "search", search_command)
    app.add_typer(simulate_app, name="simulate")
