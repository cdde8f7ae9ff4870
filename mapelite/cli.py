"""The ``map-elite`` command line: core commands (no orchestrator needed).

Upper layers add their commands with ``register(app)`` (runners/cli.py, profiles/cli.py,
flows/cli.py); the console script is ``flows.cli:main``, which composes them all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

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
console = Console()
err_console = Console(stderr=True)


def run_app(typer_app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one line on stderr and a non-zero exit code."""
    try:
        typer_app(args=argv, standalone_mode=False)
    except MapEliteError as exc:
        err_console.print(f"error: {exc.message}", markup=False, highlight=False)
        return exc.exit_code
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        err_console.print(f"error: invalid {where}: {first.get('msg')}", markup=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; results written so far are in the ledger", markup=False)
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 1
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            msg = exc.format_message().splitlines()[0]
            err_console.print(f"error: {msg}", markup=False, highlight=False)
            return exc.exit_code
        raise
    return 0


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_app(app, argv))


Command = Callable[..., Any]
