"""Plots of a `Report` (matplotlib, Agg backend): fitness vs price with the Pareto frontier, and
a models × harnesses heat map. Each is written as PNG and SVG.

Simulated (mockllm) models are drawn hollow, labelled ``[SIM]`` and named in the title.
A log axis cannot show price 0 (free local or simulated models): those sit at a floor one
decade below the cheapest priced model and their label says ``free``.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from mapelite.schemas import HARNESS_NAMES
from profiles.schema import ModelProfile, Report

SCATTER_NAME = "fitness_vs_price"
HEATMAP_NAME = "harness_heatmap"
FORMATS = ("png", "svg")
REAL_COLOUR = "tab:blue"
SIM_COLOUR = "tab:orange"


def short_label(profile: ModelProfile) -> str:
    label = profile.model.split("/", 1)[1]
    if profile.price_per_m_usd == 0:
        label += " (free)"
    return label + (" [SIM]" if profile.simulated else "")


def _free_floor(priced: list[ModelProfile]) -> float:
    positive = [m.price_per_m_usd for m in priced if m.price_per_m_usd]
    return min(positive) / 10 if positive else 0.01


def scatter_figure(report: Report) -> Figure:
    figure, axes = plt.subplots(figsize=(9, 6), dpi=110)
    priced = [m for m in report.models if m.price_per_m_usd is not None]
    floor = _free_floor(priced)

    def x_of(profile: ModelProfile) -> float:
        return profile.price_per_m_usd or floor

    for simulated, colour, name in ((False, REAL_COLOUR, "real"), (True, SIM_COLOUR, "SIMULATED")):
        group = [m for m in priced if m.simulated is simulated]
        if group:
            axes.scatter(
                [x_of(m) for m in group],
                [m.latest_fitness for m in group],
                s=60,
                facecolors="none" if simulated else colour,
                edgecolors=colour,
                linewidths=1.5,
                label=f"{name} model",
                zorder=3,
            )
    frontier = sorted((m for m in priced if m.on_pareto_frontier), key=x_of)
    if frontier:
        axes.step(
            [x_of(m) for m in frontier],
            [m.latest_fitness for m in frontier],
            where="post",
            color="tab:red",
            linewidth=2,
            label="Pareto frontier",
            zorder=2,
        )
    for profile in priced:
        axes.annotate(
            short_label(profile),
            (x_of(profile), profile.latest_fitness),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize=8,
        )
    axes.set_xscale("log")
    if priced:
        low, high = floor, max(x_of(m) for m in priced)
        axes.set_xlim(low / 2, high * 3 if high > low else low * 10)
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlabel("price per million tokens, USD (mean of input and output; log scale)")
    axes.set_ylabel("latest fitness")
    title = "Fitness vs price"
    if report.simulated:
        title += " — includes SIMULATED (mockllm) models"
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    unpriced = [m.model for m in report.models if m.price_per_m_usd is None]
    if unpriced:
        axes.text(
            0.01,
            0.01,
            "no price, not shown: " + ", ".join(unpriced),
            transform=axes.transAxes,
            fontsize=7,
            alpha=0.7,
        )
    if not report.models:
        axes.text(0.5, 0.5, "no results", transform=axes.transAxes, ha="center")
    else:
        axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def heatmap_figure(report: Report) -> Figure:
    models = report.models
    height = max(3.0, 0.45 * len(models) + 1.8)
    figure, axes = plt.subplots(figsize=(10, height), dpi=110)
    grid = [[math.nan] * len(HARNESS_NAMES) for _ in models]
    for row, profile in enumerate(models):
        for harness in profile.harnesses:
            grid[row][harness.harness_id] = harness.latest
    if models:
        image = axes.imshow(grid, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
        figure.colorbar(image, ax=axes, label="latest normalized score")
        for row, values in enumerate(grid):
            for column, value in enumerate(values):
                if not math.isnan(value):
                    colour = "black" if value > 0.6 else "white"
                    axes.text(
                        column,
                        row,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color=colour,
                    )
    else:
        axes.text(0.5, 0.5, "no results", transform=axes.transAxes, ha="center")
    axes.set_xticks(range(len(HARNESS_NAMES)), list(HARNESS_NAMES.values()))
    axes.set_yticks(range(len(models)), [short_label(m) for m in models])
    title = "Latest score per harness (blank: not evaluated)"
    if report.simulated:
        title += " — [SIM] = SIMULATED"
    axes.set_title(title)
    figure.tight_layout()
    return figure


def write_plots(report: Report, out_dir: Path) -> list[Path]:
    """Write both plots as PNG and SVG; returns the paths written."""
    written: list[Path] = []
    for name, build in ((SCATTER_NAME, scatter_figure), (HEATMAP_NAME, heatmap_figure)):
        figure = build(report)
        try:
            for extension in FORMATS:
                path = out_dir / f"{name}.{extension}"
                figure.savefig(path)
                written.append(path)
        finally:
            plt.close(figure)
    return written
