"""Reasoning settings on the wire: budgets, the default for evaluation, request fields, and
thinking text kept apart from the answer.

A reasoning model spends output tokens thinking before it writes its answer, and those tokens
count toward ``max_tokens`` (OpenRouter, OpenAI). A harness's ``max_tokens`` is its *answer*
budget, so a request for a reasoning setup asks for ``answer budget + reasoning budget``
(`request_max_tokens`). With no reasoning field sent, OpenAI's reasoning models think at medium
effort, which alone can exceed a harness's whole answer budget: the reply is empty with finish
reason ``length``. So the default for evaluation (`DEFAULT_EVALUATION_SETTING`) is an explicit,
bounded setting for every model that reasons, and nothing at all for one that does not.

Which setting applies (`effective_reasoning`): the explicit one (a ``model@low`` setup or
``HarnessRunnerOptions.reasoning``) > the config file's ``[models."id"] reasoning`` > the
default for evaluation when the model reasons (config ``reasons``, else the catalog) > none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mapelite.errors import ConfigError
from mapelite.schemas import ReasoningSetting

if TYPE_CHECKING:
    from mapelite.catalog.models import Catalog
    from mapelite.config.settings import Settings

REASONING_BUDGET_TOKENS: dict[str, int] = {
    "off": 0,
    "minimal": 512,
    "low": 2048,
    "medium": 8192,
    "high": 16384,
}
"""Tokens of ``max_tokens`` reserved for reasoning per effort, on top of the answer budget.
Generous on purpose: an effort level is a hint, not a cap, to OpenAI-style models; these leave
the answer its whole budget for what such models typically spend at that effort. Where
OpenRouter turns an effort into a share of ``max_tokens`` (Anthropic/Gemini style: minimal
~10%, low ~20%, medium ~50%, high ~80%), the share of ``answer + budget`` left after reasoning
is still at least the answer budget for answer budgets up to 4,096 tokens."""

EXPECTED_REASONING_TOKENS: dict[str, int] = {
    "off": 0,
    "minimal": 128,
    "low": 512,
    "medium": 1536,
    "high": 4096,
}
"""Prior for estimates: reasoning tokens a reply is expected to spend per effort (before a
ledger has measured the setup). A token budget ``N`` expects half of it (`expected_reasoning`)."""

DEFAULT_EVALUATION_SETTING = ReasoningSetting(effort="low")
"""The setting a reasoning model gets when none is chosen: low effort within a 2,048-token
reasoning budget. Every harness gets answers (medium, the providers' own default, spends about
as much on thinking as the largest harness answer budget), at about a third of medium's cost.
``model@medium`` (or any other) is a distinct setup."""

OPENROUTER_OFF = {"effort": "none"}
"""OpenRouter's documented way to turn reasoning off (``reasoning.effort: "none"``)."""


def reasoning_budget(setting: ReasoningSetting | None) -> int:
    """Tokens reserved for reasoning on top of the answer budget (0: none, or off)."""
    if setting is None:
        return 0
    if setting.budget_tokens is not None:
        return setting.budget_tokens
    return REASONING_BUDGET_TOKENS[setting.effort or "off"]


def request_max_tokens(answer_budget: int | None, setting: ReasoningSetting | None) -> int | None:
    """``max_tokens`` of a request: the harness's answer budget + the reasoning budget (None
    when there is no answer budget: the server's own limit applies)."""
    if answer_budget is None:
        return None
    return answer_budget + reasoning_budget(setting)


def expected_reasoning(setting: ReasoningSetting | None) -> int:
    """Reasoning tokens one reply is expected to spend (prior for estimates)."""
    if setting is None:
        return 0
    if setting.budget_tokens is not None:
        return setting.budget_tokens // 2
    return EXPECTED_REASONING_TOKENS[setting.effort or "off"]


def model_reasons(model: str, settings: Settings | None, catalog: Catalog | None) -> bool:
    """Whether ``model`` reasons: the config file's ``reasons`` where set, else the catalog."""
    config = settings.model_settings(model) if settings is not None else None
    if config is not None and config.reasons is not None:
        return config.reasons
    if catalog is None:
        return False
    entry = catalog.models.get(model)
    return bool(entry is not None and entry.reasons)


def configured_reasoning(model: str, settings: Settings | None) -> ReasoningSetting | None:
    """The config file's ``[models."id"] reasoning`` (ConfigError naming the key if invalid)."""
    config = settings.model_settings(model) if settings is not None else None
    if config is None or config.reasoning is None:
        return None
    try:
        return ReasoningSetting.parse(config.reasoning)
    except ValueError as exc:
        raise ConfigError(f'[models."{model}"] reasoning: {exc}') from None


def effective_reasoning(
    model: str,
    explicit: ReasoningSetting | None,
    settings: Settings | None,
    catalog: Catalog | None,
) -> ReasoningSetting | None:
    """The setting a call of ``model`` uses: explicit > config file > the default for
    evaluation when the model reasons > None (send nothing)."""
    if explicit is not None:
        return explicit
    configured = configured_reasoning(model, settings)
    if configured is not None:
        return configured
    if model_reasons(model, settings, catalog):
        return DEFAULT_EVALUATION_SETTING
    return None


def effort_for_budget(budget_tokens: int) -> str:
    """The smallest effort whose budget holds ``budget_tokens`` (for fields that take only an
    effort, such as ``reasoning_effort``)."""
    for effort in ("minimal", "low", "medium", "high"):
        if budget_tokens <= REASONING_BUDGET_TOKENS[effort]:
            return effort
    return "high"


def openrouter_reasoning(setting: ReasoningSetting) -> dict[str, Any]:
    """OpenRouter's ``reasoning`` object: ``{"effort": ...}``, ``{"max_tokens": N}`` or off."""
    if setting.budget_tokens is not None:
        return {"max_tokens": setting.budget_tokens}
    if setting.effort == "off":
        return dict(OPENROUTER_OFF)
    return {"effort": setting.effort}


def openai_reasoning_effort(setting: ReasoningSetting) -> str:
    """OpenAI's ``reasoning_effort`` (``"none"`` for off; a budget as the effort holding it)."""
    if setting.budget_tokens is not None:
        return effort_for_budget(setting.budget_tokens)
    return "none" if setting.effort == "off" else str(setting.effort)


def ollama_think(setting: ReasoningSetting) -> bool:
    """Ollama's ``think`` switch."""
    return setting.effort != "off"


# -- thinking blocks in content ------------------------------------------------------------------

_THINK_TAGS = ("think", "thinking", "reasoning")
_OPEN = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)


def split_thinking(content: str) -> tuple[str, str | None]:
    """(answer, thinking) of a reply that may write ``<think>…</think>`` (or ``<thinking>``,
    ``<reasoning>``) blocks in its content. A block left open (the reply was cut off while
    thinking) leaves no answer: everything from its opening tag is thinking."""
    if "<" not in content:
        return content, None
    answer_parts: list[str] = []
    thoughts: list[str] = []
    rest = content
    while True:
        opened = _OPEN.search(rest)
        if opened is None:
            answer_parts.append(rest)
            break
        answer_parts.append(rest[: opened.start()])
        tag = opened.group(1).lower()
        close = re.compile(rf"</{tag}>", re.IGNORECASE).search(rest, opened.end())
        if close is None:
            thoughts.append(rest[opened.end() :].strip())
            break
        thoughts.append(rest[opened.end() : close.start()].strip())
        rest = rest[close.end() :]
    if not thoughts:
        return content, None
    answer = "".join(answer_parts).strip()
    return answer, "\n\n".join(t for t in thoughts if t) or ""


def split_stray_close(content: str) -> tuple[str, str | None]:
    """A reply whose server stripped the opening ``<think>`` but kept ``</think>``: what
    precedes the closing tag is thinking."""
    for tag in _THINK_TAGS:
        marker = f"</{tag}>"
        at = content.lower().find(marker)
        if at >= 0 and _OPEN.search(content[:at]) is None:
            return content[at + len(marker) :].strip(), content[:at].strip()
    return content, None


def separate_thinking(content: str, reported: str | None = None) -> tuple[str, str | None]:
    """The answer and all thinking of a reply: the server's reasoning field (``reported``) and
    any blocks written in the content. The answer never contains thinking."""
    answer, thinking = split_thinking(content)
    if thinking is None:
        answer, thinking = split_stray_close(content)
    if reported is None:
        return answer, thinking
    return answer, "\n\n".join(p for p in (reported, thinking) if p)
