"""The cost-quality frontier of a search (matplotlib, Agg backend): every cell elite at its
measured cost per item (log axis) with its 95% CI as an error bar; the elites no cheaper elite
beats are joined as the frontier. Simulated searches say so in the title."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt

from mapelite.search.report import SearchReport

MARKERS = {"single": "o", "vote": "s", "self-moa": "^", "swarm": "D"}


def frontier_points(report: SearchReport) -> list[tuple[float, float, str]]:
    """(cost per item, score, setup) of the elites on the frontier, cheapest first: each scores
    higher than every cheaper elite."""
    elites = sorted(
        (r.elite.cost_per_item, r.elite.mean, r.elite.setup) for r in report.archive.rows
    )
    frontier: list[tuple[float, float, str]] = []
    for point in elites:
        if not frontier or point[1] > frontier[-1][1]:
            frontier.append(point)
    return frontier


def frontier_plot(report: SearchReport, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(8, 5), dpi=110)
    for row in report.archive.rows:
        elite = row.elite
        low, high = elite.mean - elite.ci_low, elite.ci_high - elite.mean
        marker = MARKERS.get(row.second, "o")
        axes.errorbar(
            [max(elite.cost_per_item, 1e-9)], [elite.mean], yerr=[[low], [high]],
            fmt=marker, capsize=3, color="tab:orange" if report.simulated else "tab:blue",
        )  # fmt: skip
        axes.annotate(elite.setup, (max(elite.cost_per_item, 1e-9), elite.mean), fontsize=6,
                      xytext=(4, 4), textcoords="offset points")  # fmt: skip
    points = frontier_points(report)
    if points:
        axes.plot([max(p[0], 1e-9) for p in points], [p[1] for p in points], "k--", lw=0.8)
    axes.set_xscale("log")
    axes.set_xlabel("USD per item (measured)")
    axes.set_ylabel("score (95% CI)")
    title = f"search {report.run_id}: cell elites and the cost-quality frontier"
    axes.set_title(title + (" — SIMULATED" if report.simulated else ""), fontsize=9)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
