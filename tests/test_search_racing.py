"""Racing against the simulator's truth (SIMULATED, in-process: no HTTP, no Prefect).

The simulator knows every setup's true expected score (`mapelite.search.truth`), so what a
search reports can be checked against it: the elites it names and the statements it certifies.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.providers.mockllm import MockLLMAPI
from mapelite.search.archive import ItemResult
from mapelite.search.racing import RaceConfig, paired_test
from mapelite.search.setups import Setup, SetupSpace
from mapelite.search.simulated import cost_function, simulated_race
from mapelite.search.truth import Truth

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


def tied(a: Sequence[ItemResult], b: Sequence[ItemResult]) -> bool:
    """No significant paired difference between two setups on the items both answered."""
    return paired_test(a, b)[1] >= 0.05


def test_each_reported_elite_is_its_cells_true_best_or_tied_with_it_in_9_of_10_seeds() -> None:
    api = MockLLMAPI()
    truth = truth_of(api)
    space = SetupSpace(POOL)
    base = RaceConfig(harness_ids=(HARNESS,), round_items=20, generations=8, confirm_items=0)
    budget = full_grid_usd(space, base) / 4
    true_score = cache(lambda setup: truth.score(setup, HARNESS))
    good_seeds = 0
    for seed in range(10):
        config = base.model_copy(update={"seed": seed, "budget_usd": budget})
        race = simulated_race(space, config, api)
        assert race.spent_usd <= budget
        assert race.archive().rows
        all_right = True
        for row in race.archive().rows:
            members: list[Setup] = [
                race.candidates[n] for n, c in race.cells.items() if c.label == row.cell
            ]
            best = max(members, key=true_score)
            elite = row.elite.setup
            if elite != best.name and not tied(race.data[elite], race.data.get(best.name, [])):
                all_right = False
        good_seeds += all_right
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
