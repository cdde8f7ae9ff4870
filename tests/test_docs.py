"""The README is a front page that stays true: small, its tour runs as written, its guides and
picture exist, and the command-line reference is the commands' own help."""

from __future__ import annotations

import re
import shlex

import pytest

from cli.app import run_app
from cli.main import build_app
from cli.reference import reference
from tests.flow_helpers import REPO

README = REPO / "README.md"
GUIDES_OF_THIS_TREE = (
    "docs/own-models-and-endpoints.md",
    "docs/harnesses.md",
    "docs/swarms.md",
    "docs/ledger-and-errors.md",
    "docs/reports.md",
    "docs/prefect.md",
    "docs/runners.md",
    "docs/performance.md",
    "docs/cli.md",
    "docs/layout.md",
    "docs/real-models.md",
    "docs/setups.md",
    "docs/scorers.md",
    "docs/search.md",
    "docs/resume.md",
    "docs/viewer.md",
    "docs/viewer.png",
)


def tour_commands() -> list[list[str]]:
    """The tour's commands (the README lines that start with `.venv/bin/map-elite`), as argv."""
    lines = [line for line in README.read_text().splitlines() if line.startswith(".venv/bin/")]
    return [shlex.split(line.split("#", 1)[0])[1:] for line in lines]


def test_the_readme_is_a_front_page_of_at_most_10_kb_linking_its_guides_and_picture():
    text = README.read_text()
    assert len(text.encode()) <= 10 * 1024
    linked = set(re.findall(r"\]\(([^)#]+)", text))
    assert set(GUIDES_OF_THIS_TREE) <= linked
    for target in GUIDES_OF_THIS_TREE:
        assert (REPO / target).is_file(), target


def test_the_cli_reference_is_the_commands_own_help():
    """Regenerate with: python -m cli.reference > docs/cli.md"""
    assert (REPO / "docs" / "cli.md").read_text() == reference()


@pytest.mark.prefect
def test_every_tour_command_runs_as_written_on_a_fresh_home(
    prefect_api, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    commands = tour_commands()
    assert len(commands) >= 10 and all(argv for argv in commands)
    for argv in commands:
        code = run_app(build_app(), argv)
        out, err = capsys.readouterr()
        assert code == 0, f"map-elite {' '.join(argv)}: {err or out}"
        assert "Traceback" not in out + err
