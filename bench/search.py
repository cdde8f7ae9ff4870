"""`map-elite search`: what the race spends against the full grid, and time per generation.

    python -m bench.search

- in-process (the statistical tests' engine, SIMULATED): the demo tier's whole setup space on
  DECIDE, the budget a quarter of the full grid; the ratio is search spend / full-grid spend of
  the setups it covered on the same items (target: the budget's quarter) and the time per
  generation;
- through the flow: a small space as a whole `map-elite search` process on Prefect (embedded
  server), its time per generation (Prefect flow run + units + ledger), against the
  in-process time per generation of the same space.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench.common import Row, child_env, temp_dir

SMALL = [
    "--models", "mockllm/atlas,mockllm/gale,mockllm/harbor", "--settings", "off",
    "--structures", "single,vote,self-moa", "--generations", "3", "--round-items", "10",
    "--confirm-items", "10", "--budget-usd", "0.5",
]  # fmt: skip


def in_process(quarter: bool = True) -> tuple[float, float, float, float, int]:
    """(spent, full grid of the space, full grid of the setups covered on the items raced,
    seconds per generation, setups covered) of the demo tier's whole space."""
    from mapelite.catalog.models import load_catalog
    from mapelite.search.racing import RaceConfig
    from mapelite.search.setups import SetupSpace
    from mapelite.search.simulated import cost_function, simulated_race

    space = SetupSpace(tuple(load_catalog().tier("demo")))
    config = RaceConfig(harness_ids=(7,), round_items=20, generations=8, confirm_items=60)
    cost_of = cost_function(config)
    items = config.generations * config.items_per_generation
    grid = sum(cost_of(s).usd for s in space.setups()) * items
    config = config.model_copy(update={"budget_usd": grid / 4 if quarter else None})
    started = time.perf_counter()
    race = simulated_race(space, config)
    seconds = time.perf_counter() - started
    generations = race.generation + (1 if race.confirmed else 0)
    per_generation = seconds / max(1, generations)
    return race.spent_usd, grid, race.full_grid_usd(), per_generation, len(race.data)


def small_in_process() -> float:
    from mapelite.search.racing import RaceConfig
    from mapelite.search.setups import SetupSpace
    from mapelite.search.simulated import simulated_race

    models = ("mockllm/atlas", "mockllm/gale", "mockllm/harbor")
    space = SetupSpace(models, settings=(None,), structures=("single", "vote", "self-moa"))
    config = RaceConfig(round_items=10, generations=3, confirm_items=10, budget_usd=0.5)
    started = time.perf_counter()
    race = simulated_race(space, config)
    return (time.perf_counter() - started) / max(1, race.generation + 1)


def through_flow() -> list[float]:
    with temp_dir("mapelite-bench-search-") as home:
        env = child_env({"MAPELITE_HOME": str(home)}, drop=("PREFECT_API_URL",))
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", "search", *SMALL, "--yes", "--json"],
            env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
        return list(json.loads(done.stdout)["generation_seconds"])


def search_rows() -> list[Row]:
    rows: list[Row] = []
    spent, grid, covered_grid, per_generation, covered = in_process()
    rows.append(
        Row(
            "search: spend / full grid (demo, budget 1/4)",
            spent,
            baseline=f"full grid ${grid:.4f}",
            baseline_s=grid,
            target=0.25,
            shown=f"${spent:.4f}",
            note="every setup of the space on every item of 8 generations (ratio = USD/USD)",
        )
    )
    rows.append(
        Row(
            "search: spend / grid of setups covered",
            spent,
            baseline=f"${covered_grid:.4f}",
            baseline_s=covered_grid,
            shown=f"${spent:.4f}",
            note=f"{covered} setups covered (mutants included), on the items the race used",
        )
    )
    rows.append(Row("search: s per generation in-process", per_generation, note="SIMULATED, numpy"))
    baseline = small_in_process()
    try:
        seconds = through_flow()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        rows.append(Row("search: s per generation (flow)", None, error=str(exc)))
        return rows
    rows.append(
        Row(
            "search: s per generation (flow)",
            sum(seconds) / len(seconds),
            baseline="same space in-process",
            baseline_s=baseline,
            note=f"{len(seconds)} flow runs; Prefect embedded, local runner, SIMULATED",
        )
    )
    return rows


if __name__ == "__main__":
    from bench.common import format_table

    print(format_table(search_rows()))
