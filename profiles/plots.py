"""Plots of a `Report` (matplotlib, Agg backend): fitness vs price with the Pareto frontier, and
a models × harnesses heat map. Each is written as PNG and SVG.

Fitness vs price shows the models with a fitness (all 8 harnesses), each with its 95% CI as an
error bar, labelled with its model name; labels are moved apart so none overprints another. The
price axis is logarithmic only when prices span more than 10x. Simulated (mockllm) models are
drawn hollow, labelled ``[SIM]`` and named in the title. A log axis cannot show price 0 (free
local or simulated models): those sit at a floor one decade below the cheapest priced model and
their label says ``free``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from mapelite.schemas import HARNESS_NAMES
from profiles.schema import Estimate, ModelProfile, Report

SCATTER_NAME = "fitness_vs_price"
HEATMAP_NAME = "harness_heatmap"
FORMATS = ("png", "svg")
REAL_COLOUR = "tab:blue"
LABEL_GAP_PX = 13.0  # one 8-point line at 110 dpi, plus a little air
LABEL_OFFSET_PX = 14.0
SIM_COLOUR = "tab:orange"


def short_label(profile: ModelProfile) -> str:
    label = profile.model.split("/", 1)[1]
    if profile.price_per_m_usd == 0:
        label += " (free)"
    return label + (" [SIM]" if profile.simulated else "")


def _free_floor(priced: list[ModelProfile]) -> float:
    positive = [m.price_per_m_usd for m in priced if m.price_per_m_usd]
    return min(positive) / 10 if positive else 0.01


def use_log_axis(prices: list[float]) -> bool:
    """A log price axis only when the prices span more than 10x (a free model counts as the
    floor one decade below the cheapest, so a free model next to priced ones means log)."""
    positive = [p for p in prices if p > 0]
    if not positive:
        return False
    if len(positive) < len(prices):
        return True
    return max(positive) > 10 * min(positive)


def spread_labels(ys: list[float], min_gap: float) -> list[float]:
    """Label heights (display units) at least ``min_gap`` apart, each as near its point as the
    others allow: sorted, pushed up past the one below, then the block re-centred."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [0.0] * len(ys)
    previous = -math.inf
    for i in order:
        placed[i] = max(ys[i], previous + min_gap)
        previous = placed[i]
    if ys:
        shift = (sum(placed) - sum(ys)) / len(ys)  # spread both ways, not only upwards
        placed = [p - shift for p in placed]
        previous = -math.inf
        for i in order:  # re-centring must not reintroduce an overlap
            placed[i] = max(placed[i], previous + min_gap)
            previous = placed[i]
    return placed


def scatter_figure(report: Report) -> Figure:
    figure, axes = plt.subplots(figsize=(10, 6.5), dpi=110)
    ranked = [m for m in report.models if m.fitness is not None]
    priced = [m for m in ranked if m.price_per_m_usd is not None]
    log_axis = use_log_axis([m.price_per_m_usd or 0.0 for m in priced])
    floor = _free_floor(priced) if log_axis else 0.0

    def x_of(profile: ModelProfile) -> float:
        return profile.price_per_m_usd or floor

    def y_of(profile: ModelProfile) -> float:
        assert profile.fitness is not None
        return profile.fitness.value

    for simulated, colour, name in ((False, REAL_COLOUR, "real"), (True, SIM_COLOUR, "SIMULATED")):
        group = [m for m in priced if m.simulated is simulated]
        if group:
            errors = [
                [y_of(m) - m.fitness.ci_low for m in group if m.fitness is not None],
                [m.fitness.ci_high - y_of(m) for m in group if m.fitness is not None],
            ]
            axes.errorbar(
                [x_of(m) for m in group],
                [y_of(m) for m in group],
                yerr=errors,
                fmt="o",
                markersize=7,
                markerfacecolor="none" if simulated else colour,
                markeredgecolor=colour,
                ecolor=colour,
                elinewidth=1,
                capsize=3,
                label=f"{name} model (95% CI)",
                zorder=3,
            )
    frontier = sorted((m for m in priced if m.on_pareto_frontier), key=x_of)
    if frontier:
        axes.step(
            [x_of(m) for m in frontier],
            [y_of(m) for m in frontier],
            where="post",
            color="tab:red",
            linewidth=2,
            label="Pareto frontier",
            zorder=2,
        )
    if log_axis:
        axes.set_xscale("log")
    if priced:
        low, high = min(x_of(m) for m in priced), max(x_of(m) for m in priced)
        if log_axis:
            axes.set_xlim(low / 2, high * 4 if high > low else low * 10)
        else:
            axes.set_xlim(0, high * 1.35 if high > 0 else 1.0)
    axes.set_ylim(-0.02, 1.05)
    scale = "log scale" if log_axis else "linear scale"
    axes.set_xlabel(f"price per million tokens, USD (mean of input and output; {scale})")
    axes.set_ylabel("fitness (all 8 harnesses), 95% CI")
    title = "Fitness vs price"
    if report.simulated:
        title += " — includes SIMULATED (mockllm) models"
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    notes = []
    unpriced = [m.model for m in ranked if m.price_per_m_usd is None]
    if unpriced:
        notes.append("no price, not shown: " + ", ".join(unpriced))
    partial = [m.model for m in report.models if m.fitness is None]
    if partial:
        notes.append("partial coverage (no fitness), not shown: " + ", ".join(partial))
    if notes:
        axes.text(0.01, 0.01, "\n".join(notes), transform=axes.transAxes, fontsize=7, alpha=0.7)
    if not priced:
        axes.text(0.5, 0.5, "no model with a fitness and a price", transform=axes.transAxes,
                  ha="center")  # fmt: skip
    else:
        axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    _label_points(axes, priced, x_of, y_of)  # after the layout: placed in final pixels
    return figure


def _label_points(
    axes: Any,
    profiles: list[ModelProfile],
    x_of: Callable[[ModelProfile], float],
    y_of: Callable[[ModelProfile], float],
) -> None:
    """Each point's label to its right, moved apart vertically so that none overprints
    another, with a thin leader line back to its point."""
    if not profiles:
        return
    to_pixels = axes.transData.transform
    points = [to_pixels((x_of(m), y_of(m))) for m in profiles]
    heights = spread_labels([float(p[1]) for p in points], min_gap=LABEL_GAP_PX)
    to_data = axes.transData.inverted().transform
    for profile, point, height in zip(profiles, points, heights, strict=True):
        target = to_data((point[0] + LABEL_OFFSET_PX, height))
        axes.annotate(
            short_label(profile),
            (x_of(profile), y_of(profile)),
            xytext=(float(target[0]), float(target[1])),
            textcoords="data",
            fontsize=8,
            va="center",
            arrowprops={"arrowstyle": "-", "color": "0.6", "linewidth": 0.6},
        )


def heatmap_label(estimate: Estimate) -> str:
    """A heat map cell: the score, then its sample size and the half-width of its interval."""
    half = (estimate.ci_high - estimate.ci_low) / 2
    return f"{estimate.value:.2f}\nn={estimate.n} ±{half:.2f}"


def heatmap_figure(report: Report) -> Figure:
    models = report.models
    height = max(3.0, 0.6 * len(models) + 1.8)  # two text lines per cell
    figure, axes = plt.subplots(figsize=(10, height), dpi=110)
    grid = [[math.nan] * len(HARNESS_NAMES) for _ in models]
    labels: dict[tuple[int, int], str] = {}
    for row, profile in enumerate(models):
        for harness in profile.harnesses:
            if harness.latest is not None:
                grid[row][harness.harness_id] = harness.latest.value
                labels[(row, harness.harness_id)] = heatmap_label(harness.latest)
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
                        labels[(row, column)],
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=colour,
                    )
    else:
        axes.text(0.5, 0.5, "no results", transform=axes.transAxes, ha="center")
    axes.set_xticks(range(len(HARNESS_NAMES)), list(HARNESS_NAMES.values()))
    axes.set_yticks(range(len(models)), [short_label(m) for m in models])
    title = "Latest score per harness, its n and ± half the width of its 95% interval (blank: none)"
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
