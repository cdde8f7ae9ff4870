"""What a harness is: a fixed list of items, each a prompt with a deterministic scorer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mapelite.harnesses.forms import without_thinking
from mapelite.harnesses.grammar import read_answer  # the one shared reading

Scorer = Callable[[str], float]
"""Scores an answer in [0, 1]; deterministic, never raises on any string."""


@dataclass(frozen=True)
class Assessment:
    """A scored answer with what the scorer read (``extracted``: the final answer, the code,
    the JSON fields) and details that are not the score (``diagnostics``: tests passed)."""

    score: float
    extracted: str | None = None
    diagnostics: dict[str, Any] | None = None


Assessor = Callable[[str], Assessment]


@dataclass(frozen=True)
class Item:
    """One prompt of a harness.

    ``reference`` is a known-right answer (scores 1.0) and ``near_miss`` a plausible wrong one
    (scores below 1.0); the offline simulator answers with one or the other, and the scorer tests
    pin both down.
    """

    id: str
    prompt: str
    reference: str
    near_miss: str
    score: Scorer = field(compare=False, repr=False)
    system: str | None = None
    bank: str = "core"
    bank_version: str = "1"
    family: str | None = None
    """Items sharing a template or passage share a family (clustered intervals); None: own."""
    assess: Assessor | None = field(default=None, compare=False, repr=False)
    """Score, extracted answer and diagnostics in one pass; None: ``score`` plus the shared
    final-answer reading."""

    def __post_init__(self) -> None:
        # Thinking is never graded (DESIGN, setups): every scorer sees the reply without its
        # <think> blocks, whoever built the item, so a raw reply and a split one score alike.
        if not getattr(self.score, "sees_thinking", True):
            return
        object.__setattr__(self, "score", _graded_without_thinking(self.score))
        if self.assess is not None:
            object.__setattr__(self, "assess", _graded_without_thinking(self.assess))

    def assessed(self, answer: str) -> Assessment:
        if self.assess is not None:
            return self.assess(answer)
        return Assessment(self.score(answer), extracted=read_answer(answer))


@dataclass(frozen=True)
class Harness:
    id: int
    name: str
    description: str
    items: Sequence[Item]
    max_tokens: int = 512
    expected_completion_tokens: int = 150
    system: str = "Answer the task. Be concise."
    scorer_version: str = "1"
    """Changes whenever the scorers of the harness score some answer differently: an item
    records the version that scored it, and `map-elite rescore` applies today's to old answers."""

    def item(self, item_id: str) -> Item:
        for candidate in self.items:
            if candidate.id == item_id:
                return candidate
        raise KeyError(f"harness {self.name} has no item {item_id!r}")

    def extract(self, item: Item, answer: str) -> str | None:
        """The answer the scorer read in ``answer`` (recorded beside the score)."""
        return item.assessed(answer).extracted

    def assess(self, item: Item, answer: str) -> Assessment:
        """Score, extracted answer and diagnostics of ``answer`` to ``item``."""
        return item.assessed(answer)

    def prompt_tokens(self) -> int:
        """Rough prompt size in tokens (4 characters a token), for cost estimates."""
        return sum(estimate_tokens(self.system) + estimate_tokens(i.prompt) for i in self.items)


def _graded_without_thinking(function: Callable[[str], Any]) -> Any:
    def graded(answer: str) -> Any:
        return function(without_thinking(answer) if isinstance(answer, str) else answer)

    graded.sees_thinking = False  # type: ignore[attr-defined]
    return graded


def estimate_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)
