"""``map-elite cache stats|clear``: the opt-in response cache in ``$MAPELITE_HOME``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.app import add_command
from cli.output import make_console, say

if TYPE_CHECKING:
    from mapelite.providers.cache import ResponseCache

cache_app = typer.Typer(
    help="The response cache (--cache): what it holds, and emptying it.\n\n"
    "Example: map-elite cache stats",
    no_args_is_help=True,
    add_completion=False,
)


def _cache() -> ResponseCache:
    from mapelite.config.settings import get_settings
    from mapelite.providers.cache import ResponseCache

    return ResponseCache.in_home(get_settings().home)


def stats_command() -> None:
    """How many answers the cache holds, its size on disk and what the original calls cost.

    Example: map-elite cache stats
    """
    stats = _cache().stats()
    console = make_console()
    say(console, f"response cache {stats.path}")
    say(
        console,
        f"{stats.entries} answers, {stats.size_bytes / 1024:.1f} KiB, original calls cost "
        f"${stats.original_cost_usd:.4f}",
    )


def clear_command() -> None:
    """Remove every cached answer (the ledger keeps every entry, cached or not).

    Example: map-elite cache clear
    """
    cache = _cache()
    removed = cache.clear()
    say(make_console(), f"removed {removed} cached answers from {cache.path}")


def register(app: typer.Typer) -> None:
    add_command(cache_app, "stats", stats_command)
    add_command(cache_app, "clear", clear_command)
    app.add_typer(cache_app, name="cache")
