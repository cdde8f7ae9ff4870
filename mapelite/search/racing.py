"""Racing setups on shared items under a budget (MAP-Elites with statistical racing).

A race goes in generations. In each, every live setup answers the same fresh item sample (per
harness, ``round_items`` items drawn by the generation's item seed). Then, in each cell, the
elite is the live setup with the highest lower confidence bound, and every other live setup of
the cell is compared with it, paired on the items both answered; Holm's correction runs over
the cell's comparisons at level ``alpha / generations`` (the level is split over the
generations, as every generation looks again). A setup significantly worse than its elite stops
getting items. Mutants of each elite (`SetupSpace.mutations`) join the next generation.

Budget: a generation starts only when what it is expected to cost (measured cost per item of
the setups that have answered, `costs.setup_cost` before), plus a reserve for the confirmation,
fits under ``budget_usd`` and ``max_calls`` beside what was spent; otherwise the race stops
there. Within a generation each setup-item runs only if its worst case still fits (`Gate`), so
spend never exceeds the budget.

Confirmation: the cell elites and the best single setup answer one more fresh sample. Certified
statements ("X beats the best single setup") are paired tests on those items only — items that
chose neither side, so selecting the elites does not bias the test — Holm-corrected over all
statements.

The race is a state machine (`plan`, `observe`): the same decisions follow from the same
results, whether an in-process simulator or a Prefect flow answers the items. A resumed run
replays the recorded results and reaches the same state.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from mapelite.search.archive import (
    Archive,
    Cell,
    Descriptor,
    ItemResult,
    SetupStats,
    build_archive,
    cell_elite,
    cell_of,
    elite_order,
    paired_test,
    stats_of,
)
from mapelite.search.costs import SetupCost
from mapelite.search.setups import Setup, SetupSpace
from mapelite.stats.core import holm, paired_difference


class RaceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    harness_ids: tuple[int, ...] = (7,)
    round_items: int = Field(default=20, ge=2, description="items per harness per generation")
    generations: int = Field(default=8, ge=1)
    confirm_items: int = Field(default=60, ge=0, description="per harness; 0: no confirmation")
    alpha: float = Field(default=0.05, gt=0, lt=1)
    descriptor: Descriptor = "structure"
    budget_usd: float | None = Field(default=None, ge=0)
    max_calls: int | None = Field(default=None, ge=1)
    mutants_per_cell: int = Field(default=1, ge=0)
    seed: int = 0

    @property
    def items_per_generation(self) -> int:
        return self.round_items * len(self.harness_ids)


def generation_item_seed(seed: int, generation: int) -> int:
    """The item seed of a generation's sample (the confirmation is generation ``generations``)."""
    return seed * 1000 + generation


def call_seed(seed: int, generation: int, stage: int, agent: int) -> int:
    """Every call of a generation draws apart: by stage and agent (votes of one model differ)."""
    return seed * 1_000_000 + generation * 1024 + stage * 64 + agent


@dataclass(frozen=True)
class GenerationPlan:
    index: int
    setups: tuple[Setup, ...]
    confirmation: bool = False


class Statement(BaseModel):
    model_config = ConfigDict(frozen=True)

    setup: str
    baseline: str
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    n: int
    certified: bool

    @property
    def sentence(self) -> str:
        verb = "beats" if self.certified else "is not shown to beat"
        return (
            f"{self.setup} {verb} the best single setup {self.baseline} by "
            f"{self.difference:+.3f} [{self.ci_low:+.3f}, {self.ci_high:+.3f}] at p = "
            f"{self.p_adjusted:.3g} (Holm) on {self.n} fresh items"
        )


CostOf = Callable[[Setup], SetupCost]


@dataclass
class Gate:
    """The hard budget inside a generation: a setup's item runs only if its worst case fits."""

    budget_usd: float | None
    max_calls: int | None
    spent_usd: float = 0.0
    calls: int = 0

    def admit(self, worst_usd: float, calls: int) -> bool:
        if self.budget_usd is not None and self.spent_usd + worst_usd > self.budget_usd + 1e-12:
            return False
        return self.max_calls is None or self.calls + calls <= self.max_calls

    def spend(self, usd: float, calls: int) -> None:
        self.spent_usd += usd
        self.calls += calls


@dataclass
class Race:
    space: SetupSpace
    config: RaceConfig
    cost_of: CostOf
    candidates: dict[str, Setup] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    costs: dict[str, SetupCost] = field(default_factory=dict)
    data: dict[str, list[ItemResult]] = field(default_factory=dict)
    confirm_data: dict[str, list[ItemResult]] = field(default_factory=dict)
    alive: list[str] = field(default_factory=list)
    eliminated: dict[str, int] = field(default_factory=dict)
    """Setup -> the generation after which it stopped."""
    spent_usd: float = 0.0
    calls: int = 0
    generation: int = 0
    stopped_reason: str | None = None
    finished: bool = False
    confirmed: tuple[str, ...] = ()
    _mutants_pending: bool = False
    _reserve: tuple[float, int] = (0.0, 0)
    _stats: dict[str, tuple[int, SetupStats]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for setup in self.space.setups():
            self._add(setup)

    def _add(self, setup: Setup) -> None:
        if setup.name in self.candidates:
            return
        cost = self.cost_of(setup)
        self.candidates[setup.name] = setup
        self.costs[setup.name] = cost
        self.cells[setup.name] = cell_of(
            setup.structure, cost.usd, cost.latency_s, self.config.descriptor
        )
        self.alive.append(setup.name)

    # ------------------------------------------------------------------ planning

    def stats(self, name: str) -> SetupStats:
        """The setup's statistics over its race items (computed once per new data)."""
        items = self.data.get(name, [])
        cached = self._stats.get(name)
        if cached is None or cached[0] != len(items):
            cached = (len(items), stats_of(name, items))
            self._stats[name] = cached
        return cached[1]

    def _expected(self, names: Sequence[str], items: int) -> tuple[float, int]:
        """Projected USD and calls of ``items`` items of each setup: its measured cost per
        item once it has some, the estimate before."""
        usd = 0.0
        for name in names:
            measured = self.data.get(name)
            per_item = self.stats(name).cost_per_item if measured else None
            usd += (self.costs[name].usd if per_item is None else per_item) * items
        return usd, sum(self.costs[n].calls for n in names) * items

    def _fits(self, usd: float, calls: int) -> bool:
        budget, max_calls = self.config.budget_usd, self.config.max_calls
        if budget is not None and self.spent_usd + usd > budget + 1e-12:
            return False
        return max_calls is None or self.calls + calls <= max_calls

    def plan(self) -> GenerationPlan | None:
        """What to run next; None when the race (and its confirmation) is over."""
        if self.finished:
            return None
        config = self.config
        if self.stopped_reason is None and self.generation < config.generations:
            names = list(self.alive)
            usd, calls = self._expected(names, config.items_per_generation)
            reserve_usd, reserve_calls = self._expected(
                self._to_confirm(names), config.confirm_items * len(config.harness_ids)
            )
            fits = self._fits(usd + reserve_usd, calls + reserve_calls)
            # The first generation runs even when it does not all fit: the hard gate stops it
            # at the budget, and what it answered is the search's first look.
            if names and (fits or self.generation == 0):
                self._reserve = (reserve_usd, reserve_calls) if fits else (0.0, 0)
                return GenerationPlan(self.generation, tuple(self.candidates[n] for n in names))
            self.stopped_reason = (
                "the budget" if names else "every cell is decided"
            ) + f" (after {self.generation} generation(s))"
        confirm = self._to_confirm(self.alive)
        items = config.confirm_items * len(config.harness_ids)
        if confirm and items and self._fits(*self._expected(confirm, items)):
            return GenerationPlan(
                config.generations, tuple(self.candidates[n] for n in confirm), confirmation=True
            )
        self.finished = True
        return None

    def _to_confirm(self, names: Sequence[str]) -> list[str]:
        """The cell elites and the best single setup (what certified statements compare)."""
        elites = [row.elite.setup for row in self.archive().rows]
        best = self.best_single()
        chosen = [*elites, *([best] if best else [])]
        if not chosen:  # before any data: every live setup may become an elite
            chosen = list(names)
        return list(dict.fromkeys(chosen))

    # ------------------------------------------------------------------ observing

    def observe(self, plan: GenerationPlan, results: Mapping[str, Sequence[ItemResult]]) -> None:
        """Take a generation's results (setup name -> its items; a missing setup or item is
        one whose calls failed or were stopped: it is not a score)."""
        for name, items in results.items():
            self.spent_usd += sum(r.cost_usd for r in items)
            self.calls += sum(r.calls for r in items)
            target = self.confirm_data if plan.confirmation else self.data
            target.setdefault(name, []).extend(items)
        if plan.confirmation:
            self.confirmed = tuple(s.name for s in plan.setups)
            self.finished = True
            return
        wanted = self.config.items_per_generation
        if any(len(results.get(s.name, ())) < wanted for s in plan.setups):
            # The hard budget (or failed calls) left items unanswered: no further generation.
            self.stopped_reason = f"the budget (during generation {plan.index})"
        self._eliminate()
        self.generation = plan.index + 1
        if self.generation < self.config.generations:
            self._mutate()
        live_cells = {self.cells[n] for n in self.alive}
        if (
            self.stopped_reason is None
            and len(live_cells) == len(self.alive)
            and not self._mutants_pending
        ):
            self.stopped_reason = f"every cell is decided (after {self.generation} generation(s))"

    def gate(self, plan: GenerationPlan) -> Gate:
        """The hard budget for ``plan``'s items: a race generation leaves the confirmation's
        reserve untouched."""
        usd, calls = (0.0, 0) if plan.confirmation else self._reserve
        budget, max_calls = self.config.budget_usd, self.config.max_calls
        return Gate(
            None if budget is None else budget - usd,
            None if max_calls is None else max_calls - calls,
            self.spent_usd,
            self.calls,
        )

    def _eliminate(self) -> None:
        level = self.config.alpha / self.config.generations
        by_cell: dict[Cell, list[str]] = {}
        for name in self.alive:
            if self.data.get(name):
                by_cell.setdefault(self.cells[name], []).append(name)
        for names in by_cell.values():
            elite = cell_elite(
                [self.stats(n) for n in names], self.data, min_items=self.min_elite_items
            ).setup
            rivals = [n for n in names if n != elite]
            tests = [self._paired(n, elite, self.data) for n in rivals]
            adjusted = holm([t[1] for t in tests]) if tests else []
            for name, (difference, _, _), p in zip(rivals, tests, adjusted, strict=True):
                if difference < 0 and p < level:
                    self.alive.remove(name)
                    self.eliminated[name] = self.generation

    def _mutate(self) -> None:
        self._mutants_pending = False
        if not self.config.mutants_per_cell:
            return
        for row in self.archive().rows:
            parent = self.candidates[row.elite.setup]
            options = [m for m in self.space.mutations(parent) if m.name not in self.candidates]
            rng = random.Random(f"{self.config.seed}|{self.generation}|{parent.name}")
            for mutant in rng.sample(options, min(self.config.mutants_per_cell, len(options))):
                self._add(mutant)
                self._mutants_pending = True

    def _paired(
        self, a: str, b: str, data: Mapping[str, Sequence[ItemResult]]
    ) -> tuple[float, float, int]:
        return paired_test(data.get(a, ()), data.get(b, ()))

    # ------------------------------------------------------------------ reading

    def archive(self) -> Archive:
        return build_archive(
            self.cells,
            self.data,
            self.config.descriptor,
            self.eliminated,
            self.stats,
            self.min_elite_items,
        )

    @property
    def min_elite_items(self) -> int:
        """A setup qualifies as an elite after two generations of items (a mutant that joined
        late races a generation before it can lead its cell)."""
        return 2 * self.config.items_per_generation

    def best_single(self) -> str | None:
        singles = [
            self.stats(n)
            for n, items in self.data.items()
            if items and self.candidates[n].structure == "single"
        ]
        return min(singles, key=elite_order).setup if singles else None

    def statements(self) -> list[Statement]:
        """Every confirmed elite that scored above the best single setup in the race, tested
        against it on the confirmation items only, Holm-corrected together; certified when
        significant and ahead. (Choosing which to test on the race's items keeps the
        confirmation items unbiased.)"""
        best = self.best_single()
        if best is None or best not in self.confirm_data:
            return []
        bar = self.stats(best).mean
        others = [
            n
            for n in self.confirmed
            if n != best and n in self.confirm_data and self.stats(n).mean > bar
        ]
        results = []
        for name in others:
            scores_b = {r.key: r.score for r in self.confirm_data[best]}
            pairs = [
                (r.score, scores_b[r.key]) for r in self.confirm_data[name] if r.key in scores_b
            ]
            if pairs:
                results.append(
                    (name, paired_difference([a for a, _ in pairs], [b for _, b in pairs]))
                )
        adjusted = holm([r.p_value for _, r in results])
        return [
            Statement(
                setup=name,
                baseline=best,
                difference=r.difference,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                p_value=r.p_value,
                p_adjusted=p,
                n=r.n,
                certified=p < self.config.alpha and r.difference > 0,
            )
            for (name, r), p in zip(results, adjusted, strict=True)
        ]

    def full_grid_usd(self) -> float:
        """What every setup the race covered would have cost on every item the search asked
        (its measured cost per item; the race's generations and the confirmation)."""
        items = self.generation * self.config.items_per_generation
        if self.confirmed:
            items += self.config.confirm_items * len(self.config.harness_ids)
        return sum(self.stats(n).cost_per_item * items for n, d in self.data.items() if d)
