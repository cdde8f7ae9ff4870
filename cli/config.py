"""``map-elite config show`` (the resolved settings, keys masked, with where each came from) and
``map-elite config init`` (a commented example mapelite.toml)."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.app import help_text
from cli.options import JSON_OPTION
from cli.output import make_console, print_json, say

config_app = typer.Typer(
    help="The config file mapelite.toml: show what is in effect, or write an example.\n\n"
    "Example: map-elite config show",
    no_args_is_help=True,
)


@config_app.command("show")
def config_show_command(as_json: bool = JSON_OPTION) -> None:
    """Print every setting in effect, with where it came from (environment, .env, the config
    file or the default); API keys are masked.

    Example: map-elite config show --json
    """
    from rich.table import Table
    from rich.text import Text

    from mapelite.config.show import describe_settings

    rows = describe_settings()
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table(title="settings in effect")
    for column in ("key", "value", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        value = "-" if row.value is None else str(row.value)
        table.add_row(Text(row.key), Text(value), Text(row.source))
    make_console().print(table)


@config_app.command("init")
def config_init_command(
    path: Path | None = typer.Argument(None, help="where to write it (default ./mapelite.toml)"),
    force: bool = typer.Option(False, "--force", help="replace an existing file"),
) -> None:
    """Write a commented example mapelite.toml (endpoints, priced models, tiers, weights,
    defaults) that loads as it is.

    Example: map-elite config init
    """
    from mapelite.config.show import write_example

    written = write_example(path, force=force)
    say(make_console(), f"wrote {written}; edit it, then check it with `map-elite config show`")


def register(app: typer.Typer) -> None:
    for command in config_app.registered_commands:
        command.help = help_text(command.callback.__doc__ if command.callback else None)
    app.add_typer(config_app, name="config")
