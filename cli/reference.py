"""The command-line reference, from the commands' own ``--help``: ``python -m cli.reference >
docs/cli.md`` (`tests/test_docs.py` fails when docs/cli.md is out of step).

Rendered at a fixed width without colour, so the page is the same on every machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from cli.main import build_app

WIDTH = 100
HEADER = """# Command-line reference

Generated from the commands' own `--help` by `python -m cli.reference > docs/cli.md`; a test
fails when this page and the commands disagree. Every command also answers `--help` itself.
"""


def command_paths(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and group under ``group`` (Typer's Click objects), parents first, in the
    order ``--help`` lists them."""
    yield path
    for name, command in getattr(group, "commands", {}).items():
        yield from command_paths(command, (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    """``map-elite PATH --help`` as it prints at ``WIDTH`` columns, trailing spaces removed."""
    env = {"COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"}
    done = CliRunner().invoke(build_app(), [*path, "--help"], prog_name="map-elite", env=env)
    if done.exit_code != 0:
        raise RuntimeError(f"map-elite {' '.join(path)} --help exited {done.exit_code}")
    return "\n".join(line.rstrip() for line in done.output.strip("\n").splitlines())


def reference() -> str:
    """The whole page: one section per command, its help in a text block."""
    root = typer.main.get_command(build_app())
    sections = [HEADER]
    for path in command_paths(root):
        title = " ".join(("map-elite", *path))
        sections.append(f"## `{title}`\n\n```text\n{help_text(path)}\n```\n")
    return "\n".join(sections)


def main() -> None:
    os.environ.setdefault("COLUMNS", str(WIDTH))
    print(reference(), end="")


if __name__ == "__main__":
    main()
