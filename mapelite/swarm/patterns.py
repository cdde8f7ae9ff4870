"""Swarm topology codes: ``:`` then 1-8 digits 0-3; digit d is a stage of 8**d agents."""

from __future__ import annotations

from dataclasses import dataclass

from mapelite.errors import InvalidInputError

MAX_STAGES = 8
MAX_DIGIT = 3
STAGE_BASE = 8
VALID_EXAMPLES = ":0 :10 :01 :1010 :20"

_NAMED: dict[tuple[int, ...], str] = {
    (1,): "single model",
    (8, 1): "scatter-gather",
    (1, 8): "broadcast",
    (8, 1, 8, 1): "double diamond",
    (64, 1): "wide scatter-gather",
}


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern: canonical ``code`` (e.g. ``":10"``) and stage widths (e.g. ``(8, 1)``)."""

    code: str
    stages: tuple[int, ...]

    @property
    def total_agents(self) -> int:
        return sum(self.stages)

    @property
    def name(self) -> str:
        return _NAMED.get(self.stages, "custom")

    def role(self, stage: int) -> str:
        """``worker`` for the first stage and same-width successors; else aggregator/consumer."""
        if stage == 0:
            return "worker"
        previous, width = self.stages[stage - 1], self.stages[stage]
        if width == 1 and previous > 1:
            return "aggregator"
        if width > 1 and previous == 1:
            return "consumer"
        return "worker"

    def __str__(self) -> str:
        return self.code


def _reject(text: str, why: str) -> InvalidInputError:
    return InvalidInputError(
        f"invalid pattern {text!r}: {why}; a pattern is ':' then 1-{MAX_STAGES} digits "
        f"0-{MAX_DIGIT} (stage width 8^digit), e.g. {VALID_EXAMPLES}"
    )


def parse_pattern(text: str, max_agents: int | None = None) -> Pattern:
    """Parse ``":10"``; rejects anything else with a message listing valid codes.

    The colon is required: ``10`` alone is refused with the fix (``:10``), so a number typed
    where a pattern belongs (or a pattern missing its colon) never starts a swarm by accident.
    ``max_agents`` caps the total agents; ``None`` means ``settings.max_agents``.
    """
    raw = text.strip()
    if raw and not raw.startswith(":"):
        fix = f"; did you mean ':{raw}'?" if raw.isascii() and raw.isdigit() else ""
        raise _reject(text, f"it does not start with ':'{fix}")
    digits = raw[1:]
    if not digits:
        raise _reject(text, "it is empty")
    if not digits.isascii() or not digits.isdigit():
        raise _reject(text, "only digits may follow ':'")
    if len(digits) > MAX_STAGES:
        raise _reject(text, f"it has {len(digits)} stages, at most {MAX_STAGES} are allowed")
    bad = [d for d in digits if int(d) > MAX_DIGIT]
    if bad:
        raise _reject(text, f"digit {bad[0]} is above {MAX_DIGIT}")
    stages = tuple(STAGE_BASE ** int(d) for d in digits)
    if max_agents is None:
        from mapelite.config.settings import get_settings

        max_agents = get_settings().max_agents
    total = sum(stages)
    if total > max_agents:
        raise _reject(
            text, f"it needs {total} agents, over the cap of {max_agents} (MAPELITE_MAX_AGENTS)"
        )
    return Pattern(code=":" + digits, stages=stages)


def format_pattern(pattern: Pattern) -> str:
    """The canonical code, rebuilt from the stage widths."""
    digits = []
    for width in pattern.stages:
        exponent = {STAGE_BASE**d: d for d in range(MAX_DIGIT + 1)}.get(width)
        if exponent is None:
            raise InvalidInputError(f"stage width {width} is not a power 8^0..8^{MAX_DIGIT}")
        digits.append(str(exponent))
    return ":" + "".join(digits)
