"""The ``map-elite`` app: every command group added to one Typer app. The console script is
``cli.main:main``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cli import cache, catalog, compare, config, flows, profiles, rescore, run, search, view
from cli.app import run_app

PACKAGE = "map-elite"


def package_version() -> str:
    """The installed package's version (its metadata), or the source tree's when not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"map-elite {package_version()}")
        raise typer.Exit()


def _root(
    config_file: Path | None = typer.Option(
        None,
        "--config",
        help="config file to use instead of ./mapelite.toml (also $MAPELITE_CONFIG)",
        show_default=False,
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="print the version and exit",
    ),
) -> None:
    """Evaluate cheap LLMs alone and in swarms; every result in a tamper-evident ledger."""
    from mapelite.config.settings import get_settings, use_config_file

    if config_file is not None:
        # Before any command reads a setting; worker processes inherit it ($MAPELITE_CONFIG).
        use_config_file(config_file)
    get_settings()  # a broken config file is one line (exit 2) before the command starts


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="map-elite",
        help="Evaluate cheap LLMs alone and in swarms; every result in a tamper-evident ledger.",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    catalog.register(app)
    run.register(app)
    flows.register(app)
    profiles.register(app)
    cache.register(app)
    config.register(app)
    compare.register(app)
    rescore.register(app)
    view.register(app)
    search.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_app(build_app(), argv))


if __name__ == "__main__":
    main()
