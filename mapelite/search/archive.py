"""The MAP-Elites archive: cells of setups by cost per item x a second descriptor, and each
cell's elite — the setup with the highest lower 95% confidence bound of the objective.

Cost bins are log-scale, ``BINS_PER_DECADE`` per factor of ten of the *estimated* USD per item
(`mapelite.search.costs`: known before any call, so a setup never changes cell while it races).
The second descriptor is ``structure`` (single / vote / self-MoA / swarm) or ``latency``
(estimated seconds per item, one bin per doubling).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mapelite.stats.core import exact_mcnemar, holm, mean_interval, paired_difference

Descriptor = Literal["structure", "latency"]
DESCRIPTORS: tuple[Descriptor, ...] = ("structure", "latency")
BINS_PER_DECADE = 2


@dataclass(frozen=True)
class ItemResult:
    """One setup's answer to one item: its score and what it cost (all calls of the setup)."""

    key: str
    score: float
    cost_usd: float
    latency_s: float
    calls: int


@dataclass(frozen=True, order=True)
class Cell:
    cost_bin: int
    second: str

    @property
    def cost_range(self) -> tuple[float, float]:
        return 10 ** (self.cost_bin / BINS_PER_DECADE), 10 ** (
            (self.cost_bin + 1) / BINS_PER_DECADE
        )

    @property
    def label(self) -> str:
        low, high = self.cost_range
        return f"${low:.2g}-{high:.2g}/item {self.second}"


def cost_bin(usd_per_item: float) -> int:
    return math.floor(math.log10(max(usd_per_item, 1e-12)) * BINS_PER_DECADE)


def latency_label(seconds: float) -> str:
    exponent = math.floor(math.log2(max(seconds, 1e-3)))
    return f"{2.0**exponent:g}-{2.0 ** (exponent + 1):g}s"


def cell_of(structure: str, usd_per_item: float, latency_s: float, descriptor: Descriptor) -> Cell:
    second = structure if descriptor == "structure" else latency_label(latency_s)
    return Cell(cost_bin(usd_per_item), second)


class SetupStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    setup: str
    n: int
    mean: float
    ci_low: float
    ci_high: float
    cost_per_item: float
    latency_per_item: float
    calls: int


def stats_of(setup: str, results: Sequence[ItemResult]) -> SetupStats:
    interval = mean_interval([r.score for r in results])
    n = len(results)
    return SetupStats(
        setup=setup,
        n=n,
        mean=interval.mean,
        ci_low=interval.ci_low,
        ci_high=interval.ci_high,
        cost_per_item=sum(r.cost_usd for r in results) / n if n else 0.0,
        latency_per_item=sum(r.latency_s for r in results) / n if n else 0.0,
        calls=sum(r.calls for r in results),
    )


def elite_order(stats: SetupStats) -> tuple[float, float, str]:
    """Highest lower bound first; then the higher mean; then the name (a stable order)."""
    return (-stats.ci_low, -stats.mean, stats.setup)


def paired_test(a: Sequence[ItemResult], b: Sequence[ItemResult]) -> tuple[float, float, int]:
    """(mean a - b, two-sided p-value, n) on the items both answered (`paired_difference`:
    exact McNemar for 0/1 scores, which is computed here without the interval it adds)."""
    scores_b = {r.key: r.score for r in b}
    pairs = [(r.score, scores_b[r.key]) for r in a if r.key in scores_b]
    if not pairs:
        return 0.0, 1.0, 0
    difference = sum(x - y for x, y in pairs) / len(pairs)
    if all(x in (0.0, 1.0) and y in (0.0, 1.0) for x, y in pairs):
        a_only = sum(1 for x, y in pairs if x > y)
        b_only = sum(1 for x, y in pairs if y > x)
        return difference, exact_mcnemar(a_only, b_only), len(pairs)
    result = paired_difference([x for x, _ in pairs], [y for _, y in pairs])
    return result.difference, result.p_value, result.n


def cell_elite(
    members: Sequence[SetupStats],
    data: Mapping[str, Sequence[ItemResult]],
    alpha: float = 0.05,
    min_items: int = 0,
) -> SetupStats:
    """The member with the highest lower bound among those no other member beats on their
    shared items (paired, Holm over its rivals, at ``alpha``): a setup with few, low-variance
    items can have the highest bound while a rival is measurably better than it. Only members
    with ``min_items`` items qualify, when some have them (a newcomer races a while first)."""
    qualified = [m for m in members if m.n >= min_items] or list(members)
    ranked = sorted(qualified, key=elite_order)
    for candidate in ranked:
        rivals = [m for m in ranked if m is not candidate]
        tests = [paired_test(data[m.setup], data[candidate.setup]) for m in rivals]
        adjusted = holm([p for _, p, _ in tests])
        if not any(d > 0 and p < alpha for (d, _, _), p in zip(tests, adjusted, strict=True)):
            return candidate
    return ranked[0]


class ArchiveRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    cell: str
    cost_bin: int
    second: str
    elite: SetupStats
    candidates: int
    eliminated: int


class Archive(BaseModel):
    model_config = ConfigDict(frozen=True)

    descriptor: Descriptor
    rows: list[ArchiveRow]

    def elite_of(self, cell_label: str) -> SetupStats | None:
        return next((r.elite for r in self.rows if r.cell == cell_label), None)


def build_archive(
    cells: Mapping[str, Cell],
    data: Mapping[str, Sequence[ItemResult]],
    descriptor: Descriptor,
    eliminated: Mapping[str, object] | None = None,
    stats: Callable[[str], SetupStats] | None = None,
    min_items: int = 0,
) -> Archive:
    """Each cell's elite among its setups with at least one scored item (``stats``: a cache
    of `stats_of` by setup name)."""
    by_cell: dict[Cell, list[SetupStats]] = {}
    for name, cell in cells.items():
        results = data.get(name, ())
        if results:
            found = stats(name) if stats else stats_of(name, results)
            by_cell.setdefault(cell, []).append(found)
    out = eliminated or {}
    rows = [
        ArchiveRow(
            cell=cell.label,
            cost_bin=cell.cost_bin,
            second=cell.second,
            elite=cell_elite(members, data, min_items=min_items),
            candidates=len(members),
            eliminated=sum(1 for m in members if m.setup in out),
        )
        for cell, members in sorted(by_cell.items())
    ]
    return Archive(descriptor=descriptor, rows=rows)
