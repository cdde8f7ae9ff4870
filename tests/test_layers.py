"""The import layers of DESIGN.md (Layout): cli → flows → tasks → runners → mapelite;
profiles → mapelite. Read from the source (ast), so an import inside a function counts too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("cli", "flows", "tasks", "runners", "profiles", "mapelite", "bench")

# What each package may import. `profiles` stands beside the chain, on `mapelite`; the report
# flow (and so `flows`) rolls the ledger up with it.
MAY_IMPORT: dict[str, set[str]] = {
    "cli": {"cli", "flows", "tasks", "runners", "profiles", "mapelite"},
    "flows": {"flows", "tasks", "runners", "profiles", "mapelite"},
    "tasks": {"tasks", "runners", "mapelite"},
    "runners": {"runners", "mapelite"},
    "profiles": {"profiles", "mapelite"},
    "mapelite": {"mapelite"},
    "bench": {"bench", "flows", "tasks", "runners", "profiles", "mapelite"},
}
# The only modules of `mapelite/` outside a subpackage (DESIGN.md, Layout: a few at most).
LOOSE_CORE_MODULES = {"__init__", "errors", "schemas", "results", "prerun"}
FORBIDDEN_BELOW_CLI = ("typer", "rich")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


def _is_entry_point_block(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":``: runs only when the module is the program itself, as the
    thin entry points (``python -m flows.swarm``) into cli/ do; not an import of the module."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    left = node.test.left
    return isinstance(left, ast.Name) and left.id == "__name__"


def _statements(tree: ast.Module) -> Iterator[ast.AST]:
    for top in tree.body:
        if _is_entry_point_block(top):
            continue
        yield from ast.walk(top)


def imported_names(path: Path, name: str, modules: set[str] | None = None) -> set[str]:
    """Every module ``path`` imports, by absolute name. ``from a import b`` imports the module
    a.b when ``modules`` knows one by that name (a package's own __init__ is then not what the
    line depends on), else a."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if modules is not None and submodule in modules else base)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {target for target in imported_names(path, name, set(modules)) if target in modules}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walk_finds_imports_inside_functions_and_resolves_relative_ones(tmp_path: Path):
    source = tmp_path / "mod.py"
    source.write_text(
        "import os\nfrom . import sibling\n"
        "def f():\n    from mapelite.ledger.chain import Ledger\n"
        'if __name__ == "__main__":\n    from cli.main import main\n'
    )
    names = imported_names(source, "flows.mod", {"flows.sibling"})
    assert {"os", "flows.sibling", "mapelite.ledger.chain"} <= names
    assert "cli.main" not in names and "flows" not in names


def test_the_cycle_finder_reports_a_two_module_cycle_and_nothing_else():
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert cycles(graph) == [["a", "b"]]


def test_no_import_points_up_the_layers():
    upward = [
        f"{source} imports {target}"
        for source, targets in import_graph().items()
        for target in sorted(targets)
        if target.split(".")[0] not in MAY_IMPORT[source.split(".")[0]]
    ]
    assert upward == []


def test_the_project_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_core_is_in_subpackages_but_for_a_few_loose_modules():
    core = REPO / "mapelite"
    loose = {path.stem for path in core.glob("*.py")}
    assert loose == LOOSE_CORE_MODULES
    assert len(LOOSE_CORE_MODULES - {"__init__", "errors"}) <= 3


def test_every_core_subpackage_says_what_it_owns_and_its_imports_are_the_ones_it_names():
    """Each ``mapelite/<sub>/__init__`` docstring names what the subpackage may import
    ("Imports `mapelite.x`, ..."); every import of its modules from elsewhere in the core is
    one of those (or the top-level loose modules it names)."""
    graph = import_graph()
    problems = []
    for init in sorted((REPO / "mapelite").glob("*/__init__.py")):
        sub = f"mapelite.{init.parent.name}"
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        if not doc:
            problems.append(f"{sub}: no docstring")
            continue
        allowed = _named_imports(doc)
        if allowed is None:  # "may import any other part of mapelite"
            continue
        for source, targets in graph.items():
            if source != sub and not source.startswith(sub + "."):
                continue
            for target in targets:
                top = ".".join(target.split(".")[:2])
                if target.startswith("mapelite.") and top != sub and top not in allowed:
                    problems.append(f"{source} imports {target}, not named in {sub}'s docstring")
    assert problems == []


def _named_imports(doc: str) -> set[str] | None:
    """The ``mapelite.x`` modules a docstring's "Imports ..." sentence names; None when it says
    the subpackage may import any part of the core."""
    import re

    if "any other part of" in doc:
        return None
    assert "Imports" in doc, f"the docstring does not say what it imports: {doc[:60]!r}"
    sentence = doc[doc.index("Imports") :].split(".\n")[0]
    return set(re.findall(r"`(mapelite\.[a-z_]+)", sentence))


def test_only_cli_imports_typer_or_rich():
    offenders = [
        f"{name} imports {target}"
        for name, path in project_modules().items()
        if not name.startswith("cli")
        for target in sorted(imported_names(path, name))
        if target.split(".")[0] in FORBIDDEN_BELOW_CLI
    ]
    assert offenders == []


def test_nothing_imports_cli_outside_the_entry_points():
    importers = [
        source
        for source, targets in import_graph().items()
        if not source.startswith("cli") and any(t.split(".")[0] == "cli" for t in targets)
    ]
    assert importers == []
