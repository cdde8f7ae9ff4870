"""Exports of a `Report`: JSON (the stable schema) and Markdown tables showing the same numbers.

Numbers in the Markdown are written exactly as in the JSON (shortest round-trip form of the
already rounded values), so the two can be compared cell by cell; null is written ``—``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mapelite.schemas import HARNESS_NAMES
from profiles.schema import Estimate, ModelProfile, PatternProfile, Report

JSON_NAME = "profiles.json"
MARKDOWN_NAME = "profiles.md"
SIMULATED_MARK = "SIMULATED"
NULL_MARK = "—"
SIMULATED_BANNER = (
    f"> **{SIMULATED_MARK}**: rows marked {SIMULATED_MARK} come from mockllm models "
    "(offline simulation), not real LLMs."
)

MODEL_COLUMNS = [
    "rank",
    "band",
    "model",
    "simulated",
    "coverage",
    "fitness",
    "average fitness",
    "evaluations",
    "entries",
    "failed entries",
    "item errors",
    "first evaluated",
    "last evaluated",
    "trend",
    "trend slope",
    "price per M (USD)",
    "score per dollar",
    "Pareto frontier",
    "truncated",
    "cost vs estimate",
    "served by",
    "scorer version",
]
PATTERN_COLUMNS = [
    "pattern",
    "tier",
    "members",
    "harnesses",
    "item sample",
    "simulated",
    "runs",
    "swarm score",
    "coordination gain",
    "best single member",
    "best single member score",
    "gain over best single member",
    "cost per run (USD)",
    "tier best model",
    "tier best model score",
    "tier best model cost per run (USD)",
    "score per extra dollar",
]


@dataclass(frozen=True)
class ExportPaths:
    json: Path
    markdown: Path
    plots: list[Path]

    def all(self) -> list[Path]:
        return [self.json, self.markdown, *self.plots]


def to_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def cell(value: object) -> str:
    """One Markdown cell: numbers as JSON writes them, null as a dash, pipes escaped."""
    if value is None:
        return NULL_MARK
    if isinstance(value, Estimate):
        return f"{cell(value.value)} [{cell(value.ci_low)}, {cell(value.ci_high)}] n={value.n}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return json.dumps(value)
    return str(value).replace("|", "\\|")


def estimate_text(estimate: Estimate | None) -> str | None:
    """``value [ci_low, ci_high] n=N`` (numbers as the JSON writes them): rows stay plain JSON
    values, for the Prefect table artifacts too."""
    return None if estimate is None else cell(estimate)


def model_row(profile: ModelProfile) -> dict[str, object]:
    """A model's headline numbers keyed by `MODEL_COLUMNS` (also the Prefect table artifact)."""
    coverage = profile.coverage
    slope = profile.trend_slope
    return {
        "rank": profile.rank,
        "band": profile.band,
        "model": profile.model,
        "simulated": SIMULATED_MARK if profile.simulated else "",
        "coverage": f"{coverage.harnesses}/{len(HARNESS_NAMES)} harnesses, "
        f"{coverage.items_scored} items" + ("" if coverage.complete else " (partial)"),
        "fitness": estimate_text(profile.fitness),
        "average fitness": estimate_text(profile.average_fitness),
        "evaluations": profile.evaluations,
        "entries": profile.entries,
        "failed entries": profile.failed_entries,
        "item errors": coverage.item_errors,
        "first evaluated": profile.first_evaluated,
        "last evaluated": profile.last_evaluated,
        "trend": profile.trend,
        "trend slope": (
            None
            if slope is None
            else f"{cell(slope)} [{cell(profile.trend_ci_low)}, {cell(profile.trend_ci_high)}]"
        ),
        "price per M (USD)": profile.price_per_m_usd,
        "score per dollar": profile.score_per_dollar,
        "Pareto frontier": profile.on_pareto_frontier,
        "truncated": truncation_text(profile),
        "cost vs estimate": None if profile.cost_drift is None else f"{profile.cost_drift:.2f}x",
        "served by": ", ".join(profile.served_by) or None,
        "scorer version": ", ".join(profile.scorer_versions) or None,
    }


def truncation_text(profile: ModelProfile) -> str | None:
    """``12.5% (3/24)``: answers cut off at their token budget, of the answered items."""
    rate = profile.truncation_rate
    if rate is None:
        return None
    answered = round(profile.truncated_items / rate) if rate else profile.coverage.items_scored
    return f"{rate:.1%} ({profile.truncated_items}/{answered})"


def pattern_row(profile: PatternProfile) -> dict[str, object]:
    return {
        "pattern": profile.pattern,
        "tier": profile.tier,
        "members": ", ".join(m.split("/", 1)[-1] for m in profile.members),
        "harnesses": ",".join(str(h) for h in profile.harness_ids),
        "item sample": profile.item_sample,
        "simulated": SIMULATED_MARK if profile.simulated else "",
        "runs": profile.runs,
        "swarm score": estimate_text(profile.swarm_score),
        "coordination gain": profile.coordination_gain,
        "best single member": profile.best_single_member,
        "best single member score": profile.best_single_member_score,
        "gain over best single member": profile.gain_over_best_single_member,
        "cost per run (USD)": profile.cost_per_run_usd,
        "tier best model": profile.tier_best_model,
        "tier best model score": profile.tier_best_model_score,
        "tier best model cost per run (USD)": profile.tier_best_model_cost_per_run_usd,
        "score per extra dollar": profile.score_per_extra_dollar,
    }


def verdict_lines(report: Report) -> list[str]:
    """Markdown bullets: the swarm verdicts of each pattern row's latest run."""
    lines: list[str] = []
    for profile in report.patterns:
        if not profile.verdicts:
            continue
        lines.append(f"- `{profile.pattern}` on {profile.tier}, run `{profile.verdicts_run_id}`:")
        lines += [f"  - {verdict.sentence} (n = {verdict.n})" for verdict in profile.verdicts]
    return lines


def _table(columns: list[str], rows: list[dict[str, object]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for row in rows]
    return lines


SHAPE_NOTE = (
    "SHAPE is scored pass@1: a problem counts 1 only when every hidden test passes (the share "
    "of tests passed is a diagnostic, not the score)."
)


def _harness_rows(report: Report, field: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for profile in report.models:
        row: dict[str, object] = {name: None for name in HARNESS_NAMES.values()}
        row["model"] = profile.model
        row["simulated"] = SIMULATED_MARK if profile.simulated else ""
        for harness in profile.harnesses:
            row[harness.harness] = getattr(harness, field)
        rows.append(row)
    return rows


def to_markdown(report: Report) -> str:
    filters = ", ".join(f"{k}={v}" for k, v in report.filters.items() if v is not None)
    lines = [
        "# MAP-ELITE profiles",
        "",
        f"Ledger `{report.ledger_path}`: {report.ledger_entries} entries, "
        f"{report.entries_used} used. Filters: {filters or 'none'}. "
        f"Generated {report.generated_at} (schema version {report.schema_version}).",
        "",
    ]
    if report.simulated:
        lines += [SIMULATED_BANNER, ""]
    if not report.models and not report.patterns:
        lines += ["No results in the ledger for this selection.", ""]
        return "\n".join(lines)
    harness_columns = ["model", "simulated", *HARNESS_NAMES.values()]
    lines += ["## Models", "", *_table(MODEL_COLUMNS, [model_row(m) for m in report.models]), ""]
    lines += ["## Latest score per harness", ""]
    lines += [*_table(harness_columns, _harness_rows(report, "latest")), ""]
    lines += ["## Average score per harness", ""]
    lines += [*_table(harness_columns, _harness_rows(report, "average")), ""]
    lines += [SHAPE_NOTE, ""]
    if report.patterns:
        rows = [pattern_row(p) for p in report.patterns]
        lines += ["## Patterns", "", *_table(PATTERN_COLUMNS, rows), ""]
        verdicts = verdict_lines(report)
        if verdicts:
            lines += ["## Swarm verdicts (latest run of each pattern row)", "", *verdicts, ""]
    return "\n".join(lines)


def write_exports(report: Report, out_dir: Path, *, plots: bool = True) -> ExportPaths:
    """Write profiles.json, profiles.md and (optionally) the plots into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / JSON_NAME
    json_path.write_text(to_json(report), encoding="utf-8")
    markdown_path = out_dir / MARKDOWN_NAME
    markdown_path.write_text(to_markdown(report), encoding="utf-8")
    plot_paths: list[Path] = []
    if plots:
        from profiles.plots import write_plots  # matplotlib is slow to import; only when needed

        plot_paths = write_plots(report, out_dir)
    return ExportPaths(json=json_path, markdown=markdown_path, plots=plot_paths)
