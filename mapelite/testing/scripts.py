"""How a ModelServer model behaves: latency, answers and faults (by sequence or seeded rate),
and what real models do beyond plain text (as OpenRouter and Ollama document it): reasoning that
spends output tokens within ``max_tokens``, thinking written as ``<think>`` blocks, billing in
``usage.cost``, the upstream provider that served, a per-window request limit."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

NATURAL_REASONING_TOKENS: dict[str, int] = {
    "minimal": 80,
    "low": 360,
    "medium": 1400,
    "high": 3500,
    "xhigh": 6000,
}
"""Reasoning tokens a reasoning model spends per effort before it answers (±25% per prompt).
At medium, OpenAI's default when no effort is sent, that is more than most harnesses' whole
answer budget: the reply is cut off before any answer is written."""

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
    reasons: bool = False
    """An OpenRouter-style reasoning model: it thinks before answering (``message.reasoning``,
    ``usage.completion_tokens_details.reasoning_tokens``) and the thinking counts toward
    ``max_tokens``; with no ``reasoning`` object (or ``reasoning_effort``) sent it thinks at
    ``default_effort``."""
    thinks_in_content: bool = False
    """A qwen3/deepseek-r1-style model: it writes its thinking as ``<think>…</think>`` before the
    answer in ``content`` (Ollama: in ``message.thinking`` when ``think: true`` is sent), a wrong
    candidate answer inside; the thinking counts toward ``max_tokens``."""
    default_effort: str = "medium"
    reasoning_tokens: Mapping[str, int] = field(
        default_factory=lambda: dict(NATURAL_REASONING_TOKENS)
    )
    providers: Sequence[str] = ()
    """Upstream providers serving the model (the ``provider`` field of a reply): a request's
    routing ``order``/``only`` picks among them, else they take turns."""
    prices_per_m: tuple[float, float] | None = None
    """(input, output) USD per million tokens: every reply bills ``usage.cost`` for its tokens,
    reasoning included (an empty, cut-off reply too)."""
    reasoning_price_per_m: float | None = None
    rate_limit: tuple[int, float] | None = None
    """(requests, window_s): a request beyond that many accepted in the last ``window_s``
    seconds gets 429 with ``Retry-After``."""
    rate_group: str | None = None
    """Models sharing one rate window (OpenRouter's ``:free`` limit is account-wide)."""
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def thinks(self) -> bool:
        return self.reasons or self.thinks_in_content

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
