"""How a ModelServer model behaves: latency, answers and faults (by sequence or seeded rate)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal[
    "rate_limit",  # 429 with Retry-After
    "server_error",  # 500
    "unavailable",  # 503
    "hang",  # no answer for hang_s, then a normal answer
    "malformed_json",  # 200 with a body that is not JSON
    "html",  # an HTML page (status: 200 by default, e.g. a wrong base URL)
    "empty_choices",  # 200 with no choices (Ollama: no message)
    "empty_content",  # 200 with an empty answer
    "error_object",  # 200 with {"error": {...}} (OpenRouter does this)
    "auth",  # 401
    "credits",  # 402
]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    retry_after: str | None = "1"
    hang_s: float = 30.0
    error_code: int = 502  # the code inside an error_object
    status: int = 200  # the HTTP status of an html fault

    @classmethod
    def rate_limit(cls, retry_after: str | None = "1") -> Fault:
        return cls("rate_limit", retry_after=retry_after)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Fault:
        return cls("hang", hang_s=seconds)


@dataclass(frozen=True)
class AnswerRequest:
    """What a callable answer sees."""

    model: str
    messages: tuple[dict[str, str], ...]
    index: int

    @property
    def user_text(self) -> str:
        return "\n".join(m.get("content", "") for m in self.messages if m.get("role") == "user")


Answer = str | Sequence[str] | Callable[[AnswerRequest], str]


@dataclass
class ModelScript:
    """Behaviour of one model (or of every model not scripted on its own).

    ``fault_sequence[n]`` applies to the model's n-th request (None = answer normally); after
    the sequence, ``fault`` strikes with probability ``fault_rate``, drawn from ``seed``.
    """

    latency_s: float = 0.0
    answer: Answer | None = None
    fault: Fault | None = None
    fault_rate: float = 0.0
    fault_sequence: Sequence[Fault | None] = ()
    cost_usd: float | None = None
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def fault_for(self, index: int) -> Fault | None:
        if index < len(self.fault_sequence):
            return self.fault_sequence[index]
        if self.fault is not None and self.fault_rate > 0:
            return self.fault if self._rng.random() < self.fault_rate else None
        return None

    def scripted_answer(self, request: AnswerRequest) -> str | None:
        if self.answer is None:
            return None
        if isinstance(self.answer, str):
            return self.answer
        if callable(self.answer):
            return self.answer(request)
        answers = list(self.answer)
        return answers[request.index % len(answers)] if answers else None
