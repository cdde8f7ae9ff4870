"""``map-elite rescore [--run ID]``: today's scorers over the answers the ledger holds.

No model is called. The ledger is verified first (a corrupt ledger is not rescored); each harness
run whose scores change gets a new entry pointing at the original (`mapelite.rescore.ledger`),
which profiles and compare then read instead of it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.app import add_command
from cli.options import JSON_OPTION, LEDGER_OPTION, ledger_path
from cli.output import make_console, print_json, say


def rescore_command(
    run_id: str | None = typer.Option(
        None, "--run-id", "--run", help="only the harness runs of this run id"
    ),
    ledger: Path | None = LEDGER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Score the stored answers again with today's scorers and append the changed scorings.

    Makes no model call and costs nothing. The ledger stays append-only: a harness run whose
    scores change gets a new entry (metadata.rescore_of = the original's hash; every item
    names its scorer_version); profile and compare use the latest scoring. Run it again with
    the same scorers and it appends nothing.

    Example: map-elite rescore
    Example: map-elite rescore --run-id r-20250131-1a2b
    """
    from mapelite.errors import LedgerError
    from mapelite.ledger.chain import Ledger
    from mapelite.rescore.ledger import rescore_ledger

    path = ledger_path(ledger)
    book = Ledger(path).require()
    report = book.verify()
    if not report.valid:
        raise LedgerError(
            f"ledger {path} is corrupt at entry {report.first_corrupt} (0-based line index): "
            f"{report.reason}; nothing was rescored"
        )
    done = rescore_ledger(book, run_id)
    summary = {
        "ledger": str(path),
        "run_id": run_id,
        "harness_runs": done.entries,
        "items_scored": done.items,
        "items_changed": done.changed_items,
        "items_not_found": done.unknown_items,
        "entries_appended": done.changed_entries,
        "rescore_of": [e.metadata.rescore_of for e in done.appended],
    }
    if as_json:
        print_json(summary)
        return
    console = make_console()
    scope = f"run {run_id}" if run_id else "the ledger"
    say(
        console,
        f"rescored {done.items} answers of {done.entries} harness runs in {scope} with today's "
        f"scorers (no model call): {done.changed_items} scores changed, "
        f"{done.changed_entries} entries appended to {path}",
    )
    if done.unknown_items:
        say(
            console,
            f"note: {done.unknown_items} items are no longer in their bank (another generator "
            "version or a missing dataset file): their stored scores stay",
        )


def register(app: typer.Typer) -> None:
    add_command(app, "rescore", rescore_command)
