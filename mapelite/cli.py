"""The ``map-elite`` command line: core commands (no orchestrator needed).

Upper layers add their commands with ``register(app)`` (runners/cli.py, profiles/cli.py,
flows/cli.py); the console script is ``flows.cli:main``, which composes them all.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from mapelite.errors import MapEliteError

app = typer.Typer(
    name="map-elite",
    help="Evaluate cheap LLMs alone and in swarms; every result in a tamper-evident ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Tables wider than this are rare; off a terminal (pipes, files, CI logs) Rich would otherwise
# squeeze every table into 80 columns and cut model ids to a few characters.
PIPE_WIDTH = 1000
INTERRUPTED_EXIT = 128 + signal.SIGINT
SIGTERM_EXIT = 128 + signal.SIGTERM


def make_console(*, stderr: bool = False) -> Console:
    """The console every command prints with: the terminal's width on a terminal; off one, wide
    enough that tables keep whole cells (unless the user set COLUMNS)."""
    stream = sys.stderr if stderr else sys.stdout
    on_terminal = stream is not None and stream.isatty()
    width = None if on_terminal or "COLUMNS" in os.environ else PIPE_WIDTH
    return Console(stderr=stderr, width=width, soft_wrap=stderr)


console = make_console()
err_console = make_console(stderr=True)  # soft wrap: one error = one line, never wrapped


class Terminated(BaseException):
    """SIGTERM reached the CLI. A BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` on the way up swallows it."""


_current_run_id: str | None = None


def note_run_started(run_id: str) -> None:
    """Remember the run in progress so an interrupted run can say how to resume it."""
    global _current_run_id
    _current_run_id = run_id


def _stopped_line(what: str) -> str:
    line = f"{what}; results written so far are in the ledger"
    if _current_run_id is not None:
        line += f"; re-run with --run-id {_current_run_id} to resume"
    return line


SIGTERM_GRACE_S = 15.0
_termination_said = threading.Event()


def arm_exit_watchdog(grace_s: float = SIGTERM_GRACE_S) -> None:
    """After a SIGTERM the process exits within ``grace_s`` whatever it is waiting on (a
    library's shutdown can block). Every result reported so far is already fsynced in the
    ledger, so a forced exit loses nothing the user was told about."""

    def force_exit() -> None:
        if not _termination_said.is_set():
            sys.stderr.write(_stopped_line("terminated") + "\n")
            sys.stderr.flush()
        os._exit(SIGTERM_EXIT)

    timer = threading.Timer(grace_s, force_exit)
    timer.daemon = True
    timer.start()


def _raise_terminated(signum: int, frame: FrameType | None) -> NoReturn:
    arm_exit_watchdog()
    raise Terminated


def _usage_error_line(exc: Exception) -> str | None:
    """The one line of a click/typer usage error, a setting that does not parse, or None.

    Typer bundles its own click (``typer._click``); all its errors derive from the public
    `typer.TyperException`, whatever click the environment also has."""
    from pydantic_settings import SettingsError

    if isinstance(exc, typer.TyperException):
        lines = exc.format_message().replace("Value error, ", "").strip().splitlines()
        return f"error: {lines[0] if lines else type(exc).__name__}"
    if isinstance(exc, SettingsError):
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"MAPELITE_{field.group(1).upper()}" if field else "a setting"
        cause = f": {exc.__cause__}" if exc.__cause__ is not None else ""
        return f"error: cannot read {name} (expected JSON){cause}"
    return None


def _validation_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    if exc.title == "Settings" and loc:
        # Name the environment variable the user sets, not the field.
        where = f"MAPELITE_{loc[0].upper()}" + "".join(f"[{p}]" for p in loc[1:])
    else:
        where = ".".join(loc)
    message = str(first.get("msg")).removeprefix("Value error, ")
    return f"error: invalid {where}: {message}"


def run_app(typer_app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one line on stderr and a non-zero exit code."""
    global _current_run_id
    _current_run_id = None
    previous_sigterm = install_sigterm_handler()
    try:
        return _run_app(typer_app, argv)
    finally:
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)


def install_sigterm_handler() -> Any:
    """Make SIGTERM raise `Terminated`; returns the handler it replaced (None off the main
    thread, where handlers cannot be set, e.g. tests calling `run_app` from a thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated) or signal.SIG_DFL


def _say(line: str) -> None:
    err_console.print(line, markup=False, highlight=False)


def _run_app(typer_app: typer.Typer, argv: list[str] | None) -> int:
    try:
        # Without standalone mode click returns (not raises) the code of a `typer.Exit`.
        result = typer_app(args=argv, standalone_mode=False)
    except MapEliteError as exc:
        _say(f"error: {exc.message}")
        return exc.exit_code
    except ValidationError as exc:
        _say(_validation_line(exc))
        return 2
    except KeyboardInterrupt:
        _say(_stopped_line("interrupted"))
        return INTERRUPTED_EXIT
    except Terminated:
        _say(_stopped_line("terminated"))
        _termination_said.set()
        return SIGTERM_EXIT
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 1
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            # A bare `map-elite` (or group): the help is the answer, on stdout; still exit 2.
            console.print(exc.format_message(), markup=False, highlight=False)  # type: ignore[attr-defined]
            return 2
        line = _usage_error_line(exc)
        if line is None:
            raise
        _say(line)
        return getattr(exc, "exit_code", 2) if isinstance(exc, typer.TyperException) else 2
    if result == INTERRUPTED_EXIT:
        # Typer catches Ctrl-C itself and returns 130 (no command returns 130 on its own).
        _say(_stopped_line("interrupted"))
    return result if isinstance(result, int) else 0


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse for the worker commands, with the CLI's error style: one line, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}\n")


def positive_int(text: str) -> int:
    """argparse type of counts such as ``--concurrency``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_app(app, argv))


Command = Callable[..., Any]


# -- core commands -----------------------------------------------------------------------------
# Imports are local to each command so `map-elite --help` stays fast.


@app.command("verify")
def verify_command(
    ledger: Path | None = typer.Argument(None, help="ledger file (default: the settings' one)"),
) -> None:
    """Check the ledger's hash chain; exit 0 when intact, 1 when corrupt or missing.

    Example: map-elite verify
    """
    from mapelite.ledger import Ledger
    from mapelite.settings import get_settings

    path = ledger if ledger is not None else get_settings().ledger
    report = Ledger(path).require().verify()
    if report.valid:
        console.print(
            f"ledger OK: {report.entries} entries, chain intact ({path})",
            markup=False,
            soft_wrap=True,
        )
        return
    console.print(
        f"ledger CORRUPT: first corrupt entry at index {report.first_corrupt} (0-based): "
        f"{report.reason}; {report.entries} entries before it are intact ({path})",
        markup=False,
        soft_wrap=True,
        highlight=False,
    )
    raise typer.Exit(1)


@app.command("cost-estimate")
def cost_estimate_command(
    pattern: str = typer.Argument(..., help="swarm pattern, e.g. :10 :01 :1010 :20"),
    tier: str = typer.Option(..., "--tier", "-t", help="model tier, e.g. tier1 or demo"),
    harness: str = typer.Option("all", "--harness", "-H", help="harness ids/names or 'all'"),
    lead: str | None = typer.Option(None, "--lead", help="model of the width-1 stages"),
    runs: int = typer.Option(1, "--runs", min=1, help="how many times the swarm runs"),
) -> None:
    """Estimate what a swarm costs before running it.

    Example: map-elite cost-estimate :1010 --tier demo --harness all --runs 4
    """
    from mapelite.catalog import load_catalog
    from mapelite.cost import estimate_swarm
    from mapelite.harnesses import parse_harness_selection
    from mapelite.patterns import parse_pattern
    from mapelite.settings import get_settings

    settings = get_settings()
    parsed = parse_pattern(pattern, settings.max_agents)
    catalog = load_catalog()
    models = catalog.tier(tier)
    harness_ids = parse_harness_selection(harness)
    if lead is not None:
        catalog.get(lead)  # an unknown lead model is a one-line error
    estimate = estimate_swarm(
        parsed, models, harness_ids, tier=tier, lead=lead, warn_usd=settings.warn_usd, runs=runs
    )
    _print_estimate(estimate)


def _print_estimate(estimate: Any) -> None:
    from rich.table import Table

    label = " (SIMULATED models, simulated prices)" if estimate.simulated else ""
    table = Table(title=f"cost estimate {estimate.pattern or ''} on {estimate.tier}{label}")
    width = max((len(m) for m in estimate.per_model_cost), default=5)
    table.add_column("model", no_wrap=True, min_width=width)
    table.add_column("estimated USD", justify="right")
    for model, cost in sorted(estimate.per_model_cost.items(), key=lambda kv: -kv[1]):
        table.add_row(model, f"{cost:.6f}")
    console.print(table)
    console.print(
        f"pattern {estimate.pattern}  tier {estimate.tier}  models {estimate.model_count}  "
        f"harnesses {','.join(map(str, estimate.harness_ids))}  runs {estimate.runs}",
        markup=False,
        soft_wrap=True,
    )
    console.print(
        f"calls {estimate.total_calls}  tokens ~{estimate.estimated_tokens}  "
        f"avg ${estimate.avg_price_per_m:.4f}/M  estimated ${estimate.estimated_cost:.4f}  "
        f"worst case ${estimate.worst_case_cost:.4f}",
        markup=False,
        soft_wrap=True,
    )
    if estimate.simulated:
        console.print(
            "SIMULATED: mockllm models run offline; no money is spent.",
            markup=False,
            soft_wrap=True,
        )
    if estimate.warning:
        console.print(f"WARNING: {estimate.warning}", markup=False, soft_wrap=True)


models_app = typer.Typer(
    help="List catalog models and tiers; `models refresh` updates prices.\n\n"
    "Example: map-elite models --tier demo"
)
app.add_typer(models_app, name="models")


@models_app.callback(invoke_without_command=True)
def models_command(
    ctx: typer.Context,
    tier: str | None = typer.Option(None, "--tier", "-t", help="only this tier"),
    show_all: bool = typer.Option(False, "--all", help="also models in no tier"),
) -> None:
    """List models with prices (USD per M tokens), context length and tiers.

    Example: map-elite models --tier demo
    """
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from mapelite.catalog import load_catalog

    catalog = load_catalog()
    tiers_of: dict[str, list[str]] = {}
    for name in catalog.tier_names():
        for model in catalog.tier(name):
            tiers_of.setdefault(model, []).append(name)
    listed = list(catalog.models) if show_all else list(tiers_of)
    ids = catalog.tier(tier) if tier else listed
    table = Table(title=f"models{' of ' + tier if tier else ''} (catalog {catalog.hash[:12]})")
    # Model ids are what users copy: never truncate them.
    table.add_column("model", no_wrap=True, min_width=max((len(i) for i in ids), default=5))
    for column in ("in $/M", "out $/M", "context", "tiers", "note"):
        table.add_column(column, justify="right" if "$" in column else "left")
    for model_id in ids:
        entry = catalog.get(model_id)
        note = f"SIMULATED skill {entry.skill}" if entry.simulated else ""
        table.add_row(
            model_id,
            f"{entry.input_price_per_m:g}",
            f"{entry.output_price_per_m:g}",
            str(entry.context_length or "-"),
            ",".join(tiers_of.get(model_id, [])),
            note,
        )
    console.print(table)
    console.print(
        f"prices as of {catalog.snapshot_date or 'unknown'} from {catalog.source}; they change - "
        "`map-elite models refresh` updates them",
        markup=False,
        soft_wrap=True,
    )


@models_app.command("refresh")
def models_refresh_command() -> None:
    """Fetch OpenRouter's model list and write $MAPELITE_HOME/catalog.json.

    Example: map-elite models refresh
    """
    from mapelite.catalog import (
        CATALOG_FILE_NAME,
        parse_openrouter_models,
        refreshed_catalog_data,
        write_catalog,
    )
    from mapelite.errors import ConfigError
    from mapelite.providers.openrouter import fetch_models
    from mapelite.settings import get_settings

    settings = get_settings()
    fresh = parse_openrouter_models(fetch_models(settings))
    if not fresh:
        raise ConfigError("OpenRouter's model list had no priced models; catalog left unchanged")
    data, dropped = refreshed_catalog_data(fresh)
    path = write_catalog(data, settings.home / CATALOG_FILE_NAME)
    console.print(
        f"catalog refreshed: {len(fresh)} OpenRouter models -> {path}", markup=False, soft_wrap=True
    )
    if dropped:
        console.print(
            f"no longer listed, removed from tiers: {', '.join(dropped)}",
            markup=False,
            soft_wrap=True,
        )


@app.command("harnesses")
def harnesses_command() -> None:
    """List the eight harnesses: id, name, item count and what each measures.

    Example: map-elite harnesses
    """
    from rich.table import Table

    from mapelite.harnesses import HARNESSES

    table = Table(title="harnesses")
    for column in ("id", "name", "items", "measures"):
        table.add_column(column)
    for harness_id, harness in sorted(HARNESSES.items()):
        table.add_row(str(harness_id), harness.name, str(len(harness.items)), harness.description)
    console.print(table)
