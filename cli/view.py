"""``map-elite view``: write the ledger (or some of its runs) as one self-contained HTML file
(`profiles.viewer`) and optionally open it in a browser."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.app import add_command
from cli.options import LEDGER_OPTION, ledger_path
from cli.output import make_console, print_simulated_notice, say
from mapelite.errors import InvalidInputError


def view_command(
    run: list[str] = typer.Option(
        [], "--run", help="only this run id (repeat the option for several runs)"
    ),
    all_runs: bool = typer.Option(False, "--all", help="every run of the ledger (the default)"),
    out: Path = typer.Option(Path("viewer.html"), "--out", help="the HTML file to write"),
    open_it: bool = typer.Option(False, "--open", help="open the file in the default browser"),
    ledger: Path | None = LEDGER_OPTION,
) -> None:
    """Write one self-contained HTML file to read runs, items and swarms: the setups × harnesses
    grid with intervals, every answer with its prompt, swarm stage trees, paired comparisons,
    the cost-quality frontier and any search archive. It opens without a network.

    Example: map-elite view --out viewer.html
    Example: map-elite view --run 20250131-120000-abc123 --open
    """
    if run and all_runs:
        raise InvalidInputError("give --run ID or --all, not both")
    if out.exists() and out.is_dir():
        raise InvalidInputError(
            f"--out {out} is a directory; give a file name, e.g. {out}/viewer.html"
        )
    from profiles.viewer.page import write_viewer

    written = write_viewer(ledger_path(ledger), out, runs=run or None)
    console = make_console()
    if written.simulated:
        print_simulated_notice(console)
    say(
        console,
        f"wrote {written.path} ({written.bytes / 1e6:.2f} MB): {written.runs} runs, "
        f"{written.entries} entries, {written.answers} answers",
    )
    if open_it:
        import webbrowser

        if not webbrowser.open(written.path.resolve().as_uri()):
            say(console, "no browser could be started here; open the file yourself")


def register(app: typer.Typer) -> None:
    add_command(app, "view", view_command)
