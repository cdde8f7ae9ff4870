"""The layout guide (docs/layout.md) names the project's top-level folders, and only folders
that exist."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def layout_block() -> str:
    text = (REPO / "docs" / "layout.md").read_text()
    return text.split("```", 2)[1]


def named_folders() -> set[str]:
    return set(re.findall(r"^([a-z_]+)/", layout_block(), re.MULTILINE))


def code_folders() -> set[str]:
    """Top-level folders holding Python code (packages, tests, benchmarks)."""
    return {
        path.parent.name
        for path in REPO.glob("*/*.py")
        if not path.parent.name.startswith(".") and path.parent.name != "build"
    }


def test_readme_layout_names_every_code_folder_and_no_missing_one():
    assert named_folders() == code_folders()


def test_readme_layout_names_each_command_module_of_cli():
    modules = {path.stem for path in (REPO / "cli").glob("*.py")} - {"__init__", "__main__"}
    block = layout_block()
    assert all(re.search(rf"\b{name}\b", block) for name in modules), sorted(modules)
