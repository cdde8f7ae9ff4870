"""The ``form`` rule of the answer grammar: the ways a value is written that mean the value.

Reasoning models and chat models write the same answer in many dresses: a ``\\boxed{17}``,
inline LaTeX ``\\( 19.50 \\)`` or ``$19.50$``, ``\\text{km}``, a markdown table row
``| Answer | 17 |``, bold ``**ANSWER:** 17``, a thinking block before the reply. ``plain``
turns a reply into plain lines a grader reads, so every later rule sees one form.
"""

from __future__ import annotations

import re
import unicodedata

_THINKING = re.compile(
    r"<(think|thinking|reasoning|reflection)>.*?(?:</\1>|\Z)", re.IGNORECASE | re.DOTALL
)
_BOXED = re.compile(r"\\(?:boxed|fbox)\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}")
_LATEX_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mathbf|operatorname|mbox)\{([^{}]*)\}")
_LATEX_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_LATEX_INLINE = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]|\$\$(.*?)\$\$", re.DOTALL)
_DOLLAR_MATH = re.compile(r"(?<![\w$\\])\$(?!\s)([^$\n]*?[^\s$\\])\$(?![\w$])")
_LATEX_SYMBOLS = {
    r"\times": "×",
    r"\cdot": "×",
    r"\div": "÷",
    r"\approx": "≈",
    r"\to": "→",
    r"\rightarrow": "→",
    r"\Rightarrow": "→",
    r"\implies": "→",
    r"\le": "≤",
    r"\ge": "≥",
    r"\%": "%",
    r"\$": "$",
    r"\&": "&",
    r"\quad": " ",
    r"\qquad": " ",
    r"\left": "",
    r"\right": "",
}
_SYMBOL = re.compile(
    "|".join(re.escape(s) + r"(?![A-Za-z])" for s in sorted(_LATEX_SYMBOLS, key=len, reverse=True))
)
_THIN_SPACE_IN_NUMBER = re.compile(r"(?<=\d)\\[,;:! ](?=\d{3})")
_LATEX_SPACE = re.compile(r"\\[,;:! ]")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ANSWER_CELL = re.compile(r"^\W*(?:final\s+)?answer\W*$", re.IGNORECASE)
BOXED = _BOXED


_CLOSE_ONLY = re.compile(r"^.*?</(?:think|thinking|reasoning|reflection)>", re.I | re.DOTALL)


def without_thinking(text: str) -> str:
    """The reply without ``<think>``/``<thinking>``/``<reasoning>`` blocks (never scored). An
    unclosed block runs to the end (no answer); a closing tag with no opening one (templates
    that put the opening tag in the prompt) ends thinking that began with the reply."""
    if _CLOSE_ONLY.match(text) and not re.match(
        r"^.*?<(?:think|thinking|reasoning|reflection)>", text, re.I | re.DOTALL
    ):
        text = _CLOSE_ONLY.sub("", text, count=1)
    return _THINKING.sub("", text)


def unlatex(text: str) -> str:
    """Inline LaTeX as the plain text it typesets: ``\\( \\$19.50 \\)`` -> ``$19.50``."""
    text = _LATEX_INLINE.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    text = _DOLLAR_MATH.sub(
        lambda m: m.group(1) if re.search(r"[\\\d]", m.group(1)) else m[0], text
    )
    for _ in range(3):  # nested \boxed{\text{...}}
        text = _BOXED.sub(lambda m: m.group(1), text)
        text = _LATEX_TEXT.sub(lambda m: m.group(1), text)
        text = _LATEX_FRAC.sub(lambda m: f"{m.group(1)}/{m.group(2)}", text)
    text = re.sub(
        r"\{([,.:])\}", r"\1", _THIN_SPACE_IN_NUMBER.sub("", text)
    )  # "13{,}670", "12{:}25"
    text = _SYMBOL.sub(lambda m: _LATEX_SYMBOLS[m.group(0)], text)
    return _LATEX_SPACE.sub(" ", text)


def _table_row(line: str) -> str:
    """A markdown table row as the plain line a reader takes from it; an ``Answer`` row is an
    answer line."""
    if _TABLE_RULE.match(line):
        return ""
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    cells = [cell for cell in cells if cell]
    if len(cells) >= 2 and _ANSWER_CELL.match(unicodedata.normalize("NFKC", cells[0])):
        return "ANSWER: " + " ".join(cells[1:])
    return " ".join(cells)


_ANSWER_TAG = re.compile(r"<(answer|final_answer|final)>\s*(.*?)\s*</\1>", re.I | re.DOTALL)


def plain(text: str) -> str:
    """The reply as plain lines: thinking removed, LaTeX typeset, table rows flattened, an
    ``<answer>`` tag read as the answer line."""
    text = unlatex(without_thinking(unicodedata.normalize("NFKC", text)))
    text = _ANSWER_TAG.sub(lambda m: "\nANSWER: " + " ".join(m.group(2).split()) + "\n", text)
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|") and stripped.count("|") >= 2:
            line = _table_row(stripped)
        lines.append(line)
    return "\n".join(lines)


def boxed_values(text: str) -> list[str]:
    """The contents of every ``\\boxed{}`` of the (thinking-free) reply, in order."""
    return [unlatex(value) for value in _BOXED.findall(without_thinking(text))]
