"""What a search reports: the archive, certified statements, spend beside the full grid, and
the same as JSON and Markdown (plain data: the CLI prints it, the flow publishes it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mapelite.catalog.cost import format_usd
from mapelite.search.archive import Archive
from mapelite.search.racing import Race, Statement

SIMULATED_LINE = "SIMULATED: mockllm models, simulated skills and prices."


class SearchReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str
    harness_ids: list[int]
    descriptor: str
    setups_covered: int
    setups_eliminated: int
    generations: int
    stopped_reason: str | None
    archive: Archive
    statements: list[Statement]
    best_single: str | None
    spent_usd: float
    calls: int
    full_grid_usd: float = Field(description="every covered setup on every raced item")
    budget_usd: float | None
    generation_seconds: list[float] = Field(default_factory=list)
    simulated: bool = False

    @property
    def certified(self) -> list[Statement]:
        return [s for s in self.statements if s.certified]

    @property
    def spend_line(self) -> str:
        share = self.spent_usd / self.full_grid_usd if self.full_grid_usd else 0.0
        return (
            f"spent {format_usd(self.spent_usd)} in {self.calls} calls; the full grid of the "
            f"{self.setups_covered} setups covered on the same items: "
            f"{format_usd(self.full_grid_usd)} ({share:.0%} of it spent)"
        )


def report_of(
    race: Race,
    run_id: str,
    simulated: bool,
    generation_seconds: list[float] | None = None,
) -> SearchReport:
    return SearchReport(
        run_id=run_id,
        harness_ids=list(race.config.harness_ids),
        descriptor=race.config.descriptor,
        setups_covered=sum(1 for d in race.data.values() if d),
        setups_eliminated=len(race.eliminated),
        generations=race.generation,
        stopped_reason=race.stopped_reason,
        archive=race.archive(),
        statements=race.statements(),
        best_single=race.best_single(),
        spent_usd=race.spent_usd,
        calls=race.calls,
        full_grid_usd=race.full_grid_usd(),
        budget_usd=race.config.budget_usd,
        generation_seconds=list(generation_seconds or []),
        simulated=simulated,
    )


def archive_rows(report: SearchReport) -> list[list[str]]:
    """The archive as table rows: cell, elite, score ± CI, cost and latency per item, n."""
    return [
        [
            row.cell,
            row.elite.setup,
            f"{row.elite.mean:.3f} [{row.elite.ci_low:.3f}, {row.elite.ci_high:.3f}]",
            format_usd(row.elite.cost_per_item),
            f"{row.elite.latency_per_item:.2f}s",
            str(row.elite.n),
            f"{row.candidates} ({row.eliminated} stopped)",
        ]
        for row in report.archive.rows
    ]


HEADERS = ["cell", "elite", "score [95% CI]", "cost/item", "latency/item", "n", "setups"]


def markdown(report: SearchReport) -> str:
    lines = [f"# MAP-ELITE search {report.run_id}", ""]
    if report.simulated:
        lines += [f"**{SIMULATED_LINE}**", ""]
    lines += [
        f"Harnesses {', '.join(map(str, report.harness_ids))}; cells: cost per item x "
        f"{report.descriptor}; elite = highest lower 95% bound.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "| " + " | ".join("---" for _ in HEADERS) + " |",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in archive_rows(report)]
    lines += ["", report.spend_line]
    if report.stopped_reason:
        lines.append(f"stopped by {report.stopped_reason}")
    lines += ["", "## Certified statements", ""]
    certified = report.certified
    lines += [f"- {s.sentence}" for s in certified] or [
        f"- none: no elite beats the best single setup ({report.best_single}) at p < 0.05 "
        "(Holm) on the confirmation items"
    ]
    return "\n".join(lines) + "\n"
