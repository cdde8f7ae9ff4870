"""Racing against the simulator's truth (SIMULATED, in-process: no HTTP, no Prefect).

The simulator knows every setup's true expected score (`mapelite.search.truth`), so what a
search reports can be checked against it: the elites it names and the statements it certifies.
"""

from __future__ import annotations

from functools import cache

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.providers.mockllm import MockLLMAPI
from mapelite.search.archive import paired_test
from mapelite.search.racing import RaceConfig
from mapelite.search.setups import Setup, SetupSpace
from mapelite.search.simulated import cost_function, simulated_race
from mapelite.search.truth import Truth
from mapelite.stats.core import holm

POOL = tuple(load_catalog().tier("demo"))
HARNESS = 7


class HarderSimulator(MockLLMAPI):
    """The demo tier made 0.25 less skilled: ensembles then win by margins a search can see."""

    def skill(self, name: str) -> float:
        return max(0.05, super().skill(name) - 0.25)


def truth_of(api: MockLLMAPI) -> Truth:
    return Truth(lambda model: api.profile(model.split("/", 1)[1]), draws=3000)


def full_grid_usd(space: SetupSpace, config: RaceConfig) -> float:
    """Every setup of the space on every item the race could give it (estimated cost)."""
    cost_of = cost_function(config)
    items = config.generations * config.items_per_generation
    return sum(cost_of(s).usd for s in space.setups()) * items


def test_each_reported_elite_is_its_cells_true_best_or_tied_with_it_in_9_of_10_seeds() -> None:
    api = MockLLMAPI()
    truth = truth_of(api)
    space = SetupSpace(POOL)
    base = RaceConfig(harness_ids=(HARNESS,), round_items=20, generations=8, confirm_items=0)
    budget = full_grid_usd(space, base) / 4
    true_score = cache(lambda setup: truth.score(setup, HARNESS))
    space_setups = set(space.setups())
    good_seeds = 0
    for seed in range(10):
        config = base.model_copy(update={"seed": seed, "budget_usd": budget})
        race = simulated_race(space, config, api)
        assert race.spent_usd <= budget
        assert race.archive().rows
        p_values = []  # elite against its cell's true best, where they differ
        for row in race.archive().rows:
            # The cell's setups of the space, and the mutants that got items.
            members: list[Setup] = [
                race.candidates[n]
                for n, c in race.cells.items()
                if c.label == row.cell and (n in race.data or race.candidates[n] in space_setups)
            ]
            best = max(members, key=true_score)
            if row.elite.setup != best.name:
                p_values.append(
                    paired_test(race.data[row.elite.setup], race.data.get(best.name, []))[1]
                )
        # Tied: no significant difference, Holm-corrected over the seed's cells.
        good_seeds += all(p >= 0.05 for p in holm(p_values))
    print(f"{good_seeds} of 10 seeds: every elite the true best of its cell or tied with it")
    assert good_seeds >= 9, good_seeds


def test_false_certified_statements_are_at_most_5_percent_over_200_searches() -> None:
    api = HarderSimulator()
    truth = truth_of(api)
    space = SetupSpace(POOL[:4], settings=(None, "high"), structures=("single", "vote", "self-moa"))
    true_score = cache(lambda name: truth.score(race_setups[name], HARNESS))
    race_setups: dict[str, Setup] = {}
    searches = false = certified = 0
    for seed in range(200):
        config = RaceConfig(
            harness_ids=(HARNESS,), round_items=10, generations=3, confirm_items=150, seed=seed
        )
        race = simulated_race(space, config, api)
        race_setups.update(race.candidates)
        searches += 1
        wrong_here = 0
        for statement in race.statements():
            if statement.certified:
                certified += 1
                wrong_here += true_score(statement.setup) <= true_score(statement.baseline)
        false += wrong_here > 0
    assert searches == 200
    assert certified >= 20, certified  # the searches do find true improvements
    print(f"{certified} certified statements, {false} searches with a false one")
    assert false / searches <= 0.05, (false, certified)


@pytest.mark.parametrize("max_calls", [500, 2000])
def test_a_search_never_makes_more_calls_than_it_may(max_calls: int) -> None:
    space = SetupSpace(POOL)
    config = RaceConfig(harness_ids=(HARNESS,), max_calls=max_calls, generations=4)
    race = simulated_race(space, config, MockLLMAPI())
    assert 0 < race.calls <= max_calls
    assert race.stopped_reason is not None and "budget" in race.stopped_reason
