"""The shape of a verifiable instruction, and the text helpers its checkers share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Check = Callable[[str], bool]
Edit = Callable[[str], str]
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Instruction:
    """One drawn instruction: what it asks, how a reply is checked, made to comply and broken;
    instructions sharing a tag never go together; ``phase`` orders the ``apply`` steps."""

    kind: str
    text: str
    check: Check
    apply: Edit
    violate: Edit
    phase: str
    tags: frozenset[str] = frozenset()


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_SPLIT.split(text.strip()) if part.strip()]


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def bullets(text: str) -> list[str]:
    """The lines that start with "- ", the marker every bullet instruction names."""
    return [line for line in lines(text) if re.match(r"^-\s+\S", line)]
