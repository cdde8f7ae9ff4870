"""Find the solution code in a SHAPE reply, the way a careful grader reads it.

- The solution is the first code block that defines the asked function. A later block that
  defines it again ("a common mistake is ...", "an alternative ...") is not the one tested.
- Fenced blocks are found wherever they sit: indented, inside list items, inside a quote;
  their bodies are dedented by the fence's own indentation.
- Helper blocks are kept when they hold only definitions and do not define the asked function:
  those before the solution, and later ones that define a name the solution uses but does not
  define itself. Usage examples never run before the solution.
- Without a fenced solution, code is read from the text: the ``def`` line at any indentation
  (a Markdown indented block too), with the imports and decorators just above it, trimmed at
  the end until it parses.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from dataclasses import dataclass

MAX_ANSWER_CHARS = 40_000
_MAX_TRIM_STEPS = 80
_OPENING = re.compile(r"^(?P<prefix>[ \t]*(?:>[ \t]?)*[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_DEFINITIONS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)
_PREAMBLE = re.compile(r"^(?:import |from \S+ import |@)")


@dataclass(frozen=True)
class Block:
    info: str
    body: str


def code_blocks(text: str) -> list[Block]:
    """Every fenced block in order (an unclosed last one too), bodies dedented."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _OPENING.match(lines[index])
        index += 1
        if opening is None or ("`" in opening["info"] and opening["fence"][0] == "`"):
            continue
        fence, prefix = opening["fence"], opening["prefix"]
        closing = re.compile(rf"^[ \t>]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        while index < len(lines) and not closing.match(lines[index]):
            body.append(_strip_prefix(lines[index], prefix))
            index += 1
        index += 1
        blocks.append(Block(opening["info"].strip().lower(), textwrap.dedent("\n".join(body))))
    return blocks


def _strip_prefix(line: str, prefix: str) -> str:
    if line.startswith(prefix):
        return line[len(prefix) :]
    quote = prefix.strip()
    stripped = line.lstrip(" \t")
    if quote and stripped.startswith(quote):
        stripped = stripped[len(quote) :]
        return stripped[1:] if stripped.startswith(" ") else stripped
    indent = len(line) - len(line.lstrip(" \t"))
    return line[min(indent, len(prefix)) :]


def extract_code(answer: str, function_name: str) -> str | None:
    """The code in a reply that defines ``function_name``, or None when there is none."""
    answer = answer[:MAX_ANSWER_CHARS]
    definition = re.compile(
        rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(function_name)}[ \t]*\(", re.M
    )
    blocks = code_blocks(answer)
    position = next((i for i, b in enumerate(blocks) if definition.search(b.body)), None)
    if position is None:
        return _bare_code(_outside_fences(answer), definition)
    solution = blocks[position].body
    needed = _free_names(solution)
    helpers: list[str] = []
    for index, block in enumerate(blocks):
        if index == position or definition.search(block.body):
            continue
        defined = _defined_names(block.body)
        if defined is None:
            continue
        if index < position or defined & needed:
            helpers.append(block.body)
    return "\n\n".join([*helpers, solution])


def _defined_names(code: str) -> set[str] | None:
    """Names a definitions-only block defines; None when it also runs statements."""
    tree = _parse(code)
    if tree is None or not all(isinstance(node, _DEFINITIONS) for node in tree.body):
        return None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def _free_names(code: str) -> set[str]:
    """Names the code reads but neither defines nor gets from builtins."""
    tree = _parse(code)
    if tree is None:
        return set()
    loaded = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    defined = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return loaded - defined - set(dir(builtins))


def _outside_fences(answer: str) -> str:
    """The reply with fenced blocks blanked out (their usage examples are not the solution)."""
    kept: list[str] = []
    inside: re.Pattern[str] | None = None
    for line in answer.splitlines():
        if inside is not None:
            if inside.match(line):
                inside = None
            kept.append("")
            continue
        opening = _OPENING.match(line)
        if opening is not None:
            fence = opening["fence"]
            inside = re.compile(rf"^[ \t>]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            kept.append("")
            continue
        kept.append(line)
    return "\n".join(kept)


def _bare_code(text: str, definition: re.Pattern[str]) -> str | None:
    match = definition.search(text)
    if match is None:
        return None
    lines = text.splitlines()
    start = text.count("\n", 0, match.start())
    indent = _indent(lines[start])
    while start > 0 and _indent(lines[start - 1]) == indent:
        above = lines[start - 1][len(indent) :]
        if not _PREAMBLE.match(above):
            break
        start -= 1
    code_lines = []
    for line in lines[start:]:
        if line.strip() and not line.startswith(indent):
            break  # text less indented than the def: the code block has ended
        code_lines.append(line[len(indent) :] if line.strip() else "")
    for _ in range(_MAX_TRIM_STEPS):
        code = "\n".join(code_lines).rstrip()
        if _parse(code) is not None:
            return code
        if len(code_lines) <= 1:
            return None
        code_lines = code_lines[:-1]
    return None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
