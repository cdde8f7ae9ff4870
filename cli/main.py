"""The ``map-elite`` app: every command group added to one Typer app. The console script is
``cli.main:main``."""

from __future__ import annotations

import sys

import typer

from cli import catalog, compare, flows, profiles, run
from cli.app import run_app


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="map-elite",
        help="Evaluate cheap LLMs alone and in swarms; every result in a tamper-evident ledger.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    catalog.register(app)
    run.register(app)
    flows.register(app)
    profiles.register(app)
    compare.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_app(build_app(), argv))


if __name__ == "__main__":
    main()
