"""What a flow run shows in Prefect: its name (what it runs and its run id), its logs (estimate,
stage summaries, errors by cause, the result with the resume line) and a result artifact.

The logs go through ``mapelite.flow_runs``, a logger that sends to the flow run's logs in the
Prefect API only (never the console: the CLI prints its own lines, and the embedded default stays
quiet). They reach the UI whether the CLI or a worker running a deployment started the flow.
Publishing is housekeeping: a refused API call is a warning, never a failed run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from mapelite.catalog.cost import CostEstimate
from mapelite.providers.error_groups import group_errors
from mapelite.schemas import HARNESS_NAMES, HarnessResult
from mapelite.swarm.plan import BatchResult, EvalResult, RunOutcome, SwarmResult

RUN_LOGGER_NAME = "mapelite.flow_runs"
_log = logging.getLogger("mapelite.flows")


def run_logger() -> logging.Logger:
    """The logger whose records land in the current flow run's logs (INFO and up)."""
    logger = logging.getLogger(RUN_LOGGER_NAME)
    if not logger.handlers:
        from prefect.logging.handlers import APILogHandler

        logger.addHandler(APILogHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False  # the UI only: the console shows the CLI's own lines
    return logger


def log_run(message: str) -> None:
    """``message`` in the current flow run's logs; nothing outside a flow run (``.fn`` calls)."""
    from prefect.context import FlowRunContext

    if FlowRunContext.get() is None:
        return
    run_logger().info(message)


def estimate_line(estimate: CostEstimate) -> str:
    label = " (SIMULATED models, simulated prices)" if estimate.simulated else ""
    return (
        f"cost estimate{label}: {estimate.total_calls} model calls, "
        f"~{estimate.estimated_tokens} tokens, ${estimate.estimated_cost:.4f} "
        f"(worst case ${estimate.worst_case_cost:.4f})"
    )


def resume_line(run_id: str) -> str:
    return f"run id {run_id} (re-run with --run-id {run_id} to resume)"


def artifact_key(*parts: str) -> str:
    """Prefect's artifact key rule (lowercase letters, digits, dashes) applied to ``parts``:
    ``("swarm", ":10", "tier1")`` -> ``swarm-10-tier1``; the same pattern and tier always gets
    the same key, so the latest result of each is one look-up."""
    text = "-".join(parts).lower()
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]+", "-", text)).strip("-")


def run_name(kind: str, what: str, run_id: str) -> str:
    """``swarm :10 tier1 · 20261128-…``: what the flow run runs, and the id to resume it with."""
    return f"{kind} {what} · {run_id}"


async def name_flow_run(name: str) -> None:
    """Rename the current flow run (its run id is known only once the flow has started: a
    deployment's run generates it)."""
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    try:
        async with get_client() as client:
            await client.update_flow_run(context.flow_run.id, name=name)
    except Exception as exc:  # the run goes on under Prefect's generated name
        _log.warning("could not name the flow run %r: %s", name, exc)


def log_errors(results: Iterable[HarnessResult]) -> None:
    for group in group_errors(results):
        log_run(f"errors: {group.line()}")


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cost_rows(outcome: RunOutcome) -> list[str]:
    cost = outcome.cost
    budget = f" (budget ${cost.budget_usd:.4f})" if cost.budget_usd is not None else ""
    rows = [
        f"| run id | `{outcome.run_id}` |",
        f"| runner | {outcome.runner} |",
        f"| cost | estimated ${cost.estimated_usd:.4f}, actual ${cost.actual_usd:.4f}{budget} |",
        f"| cached items | {outcome.cached_items} |",
        f"| duration | {outcome.duration_s:.1f}s |",
        f"| resume | `--run-id {outcome.run_id}` |",
    ]
    if outcome.stopped_reason:
        rows.append(f"| stopped | {outcome.stopped_reason} |")
    return ["| | |", "|---|---|", *rows]


def _simulated(outcome: RunOutcome) -> list[str]:
    return ["", "**SIMULATED**: mockllm models, simulated prices."] if outcome.simulated else []


def swarm_markdown(result: SwarmResult) -> str:
    lines = [
        f"# swarm {result.pattern} ({result.pattern_name}) on {result.tier}",
        "",
        f"swarm score **{_f(result.swarm_score)}**, coordination gain "
        f"{_f(result.coordination_gain)}, best single agent "
        + (
            f"{_f(result.best_single_agent.score)} ({result.best_single_agent.model})"
            if result.best_single_agent
            else "-"
        ),
        "",
        "| stage | role | agents | runs | failed | reused | score | s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for stage in result.stages:
        lines.append(
            f"| {stage.index + 1} | {stage.role} | {stage.width} | {stage.completed}/{stage.units}"
            f" | {stage.failed} | {stage.reused} | {_f(stage.mean_score)}"
            f" | {stage.duration_s:.1f} |"
        )
    return "\n".join([*lines, "", *_cost_rows(result), *_simulated(result)])


def batch_markdown(result: BatchResult) -> str:
    lines = [
        f"# batch {result.tier}, harnesses {result.harness_ids} x {result.runs}",
        "",
        f"{result.completed}/{result.units} harness runs, {result.failed} failed, "
        f"{result.reused} reused",
        "",
        "| model | runs | failed | mean score |",
        "|---|---:|---:|---:|",
    ]
    for row in sorted(result.per_model, key=lambda m: -(m.mean_score or 0.0)):
        lines.append(f"| {row.model} | {row.units} | {row.failed} | {_f(row.mean_score)} |")
    return "\n".join([*lines, "", *_cost_rows(result), *_simulated(result)])


def _fitness_text(result: EvalResult) -> str:
    """Fitness with its 95% CI, or why there is none (it needs all eight harnesses)."""
    if result.fitness is None:
        return f"fitness: not computed ({len(result.scores)} of 8 harnesses scored; it needs all 8)"
    return (
        f"fitness **{result.fitness:.3f}** [{_f(result.fitness_ci_low)}, "
        f"{_f(result.fitness_ci_high)}]"
    )


def eval_markdown(result: EvalResult) -> str:
    lines = [
        f"# eval {result.model}",
        "",
        _fitness_text(result),
        "",
        "| harness | score | 95% CI | n |",
        "|---|---:|---:|---:|",
    ]
    for harness_id, score in sorted(result.scores.items()):
        failed = " (errors)" if harness_id in result.failed else ""
        interval = result.intervals.get(harness_id)
        ci = "-" if interval is None else f"[{interval.ci_low:.3f}, {interval.ci_high:.3f}]"
        n = "-" if interval is None else str(interval.n)
        lines.append(
            f"| {harness_id} {HARNESS_NAMES[harness_id]} | {score:.3f}{failed} | {ci} | {n} |"
        )
    return "\n".join([*lines, "", *_cost_rows(result), *_simulated(result)])


async def publish_result(key: str, markdown: str, description: str) -> None:
    """The run's result table as a markdown artifact under ``key``."""
    from prefect.artifacts import acreate_markdown_artifact
    from prefect.context import FlowRunContext

    if FlowRunContext.get() is None:
        return
    try:
        await acreate_markdown_artifact(key=key, markdown=markdown, description=description)
    except Exception as exc:
        _log.warning("could not publish the result artifact %s: %s", key, exc)


async def finish_run(
    key: str,
    result: RunOutcome,
    summary: str,
    markdown: str,
    results: Iterable[HarnessResult],
) -> None:
    """The end of every flow run: errors by cause and the result line (``summary``, cost,
    cached items, then the resume line) in its logs, the result artifact under ``key``."""
    log_errors(results)
    cost = result.cost
    log_run(
        f"result: {summary}; cost estimated "
        f"${cost.estimated_usd:.4f}, actual ${cost.actual_usd:.4f}; "
        f"{result.cached_items} cached items"
        + (f"; stopped: {result.stopped_reason}" if result.stopped_reason else "")
    )
    log_run(resume_line(result.run_id))
    await publish_result(key, markdown, f"MAP-ELITE result of run {result.run_id}")
