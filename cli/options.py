"""Options several commands share, declared once, and the one cost gate.

Typer reads an option declaration as metadata only, so one declaration can serve as the default
of many parameters.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from mapelite.cost import CostEstimate
from mapelite.errors import EXIT_ESTIMATE_NOT_ACCEPTED, MapEliteError
from mapelite.schemas import DEFAULT_CALL_TIMEOUT_S, HarnessRunnerOptions

RUNNER_HELP = "where harness runs execute: local | temporal | nats"
BUDGET_HELP = "hard stop: no new harness runs once this run's actual spend reaches USD"

HARNESS_OPTION = typer.Option("all", "--harness", "-H", help="harness id, name, list or 'all'")
RUNNER_OPTION = typer.Option("local", "--runner", "-r", help=RUNNER_HELP)
RUN_ID_OPTION = typer.Option(None, "--run-id", help="resume this run id (printed at start)")
YES_OPTION = typer.Option(False, "--yes", "-y", help="accept an estimate above MAPELITE_WARN_USD")
BUDGET_OPTION = typer.Option(None, "--budget", min=0, help=BUDGET_HELP)
TIMEOUT_OPTION = typer.Option(
    300.0, "--timeout", min=0.001, help="seconds per harness run (all its calls and retries)"
)
CALL_TIMEOUT_OPTION = typer.Option(
    DEFAULT_CALL_TIMEOUT_S,
    "--call-timeout",
    min=0.001,
    help="seconds per model call attempt; a call past it is retried like a 5xx "
    "(never longer than --timeout)",
)
RETRIES_OPTION = typer.Option(3, "--retries", min=0, help="retries per call after the first")

# Ledger filters (profile, report).
TIER_FILTER = typer.Option(None, "--tier", help="only models of this catalog tier")
PROVIDER_FILTER = typer.Option(None, "--provider", help="only models of this provider, e.g. ollama")
SINCE_FILTER = typer.Option(None, "--since", help="only entries at or after, e.g. 2025-01-31")
UNTIL_FILTER = typer.Option(None, "--until", help="only entries at or before")
RUN_ID_FILTER = typer.Option(None, "--run-id", help="only entries of this run")
LEDGER_OPTION = typer.Option(None, "--ledger", help="ledger file (default MAPELITE_LEDGER_PATH)")
FROM_LEDGER_OPTION = typer.Option(
    False,
    "--from-ledger",
    help="read the ledger itself, not its summary index (slower; for audits)",
)


@dataclass(frozen=True)
class CallLimits:
    """``--timeout``, ``--call-timeout`` and ``--retries``: how long a harness run and each of
    its calls may take, and how often a failed or timed-out call is tried again."""

    timeout_s: float
    call_timeout_s: float
    retries: int

    def runner_options(self, **more: Any) -> HarnessRunnerOptions:
        """The options of one harness run (`map-elite run`)."""
        return HarnessRunnerOptions(
            timeout_s=self.timeout_s,
            call_timeout_s=self.call_timeout_s,
            retries=self.retries,
            **more,
        )


class EstimateNotAccepted(MapEliteError):
    """The estimate is above MAPELITE_WARN_USD and was not accepted: nothing was run."""

    exit_code = EXIT_ESTIMATE_NOT_ACCEPTED


def cost_gate(estimate: CostEstimate, yes: bool) -> None:
    """Every command that spends passes here before its first call. An estimate that carries a
    warning (above MAPELITE_WARN_USD) needs ``--yes``; on a terminal the user may confirm
    instead."""
    if yes or estimate.warning is None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        prompt = f"estimated cost ${estimate.estimated_cost:.4f}; run it?"
        if typer.confirm(prompt, default=False):
            return
        raise EstimateNotAccepted("not confirmed; nothing was run")
    raise EstimateNotAccepted(estimate.warning)


def ledger_path(ledger: Path | None) -> Path:
    from mapelite.settings import get_settings

    return ledger if ledger is not None else get_settings().ledger
