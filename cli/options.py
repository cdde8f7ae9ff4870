"""Options several commands share, declared once, and the one cost gate.

Typer reads an option declaration as metadata only, so one declaration can serve as the default
of many parameters.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cli.app import EXIT_ESTIMATE_NOT_ACCEPTED
from mapelite.cost import CostEstimate
from mapelite.errors import MapEliteError

RUNNER_HELP = "where harness runs execute: local | temporal | nats"
BUDGET_HELP = "hard stop: no new harness runs once this run's actual spend reaches USD"

HARNESS_OPTION = typer.Option("all", "--harness", "-H", help="harness id, name, list or 'all'")
RUNNER_OPTION = typer.Option("local", "--runner", "-r", help=RUNNER_HELP)
RUN_ID_OPTION = typer.Option(None, "--run-id", help="resume this run id (printed at start)")
YES_OPTION = typer.Option(False, "--yes", "-y", help="accept an estimate above MAPELITE_WARN_USD")
BUDGET_OPTION = typer.Option(None, "--budget", min=0, help=BUDGET_HELP)
DETECT_OPTION = typer.Option(
    None,
    "--detect",
    min=0.001,
    max=1.0,
    help="a difference per harness (e.g. 0.1): print the items and dollars to detect it",
)

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
