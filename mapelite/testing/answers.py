"""The ModelServer's default answer: a harness item's reference answer when it knows the prompt
(and, for thinking models, the item's near miss: the wrong candidate they weigh first)."""

from __future__ import annotations

from functools import lru_cache

FALLBACK_ANSWER = "OK"


@lru_cache(maxsize=1)
def _known_items() -> tuple[tuple[str, str, str], ...]:
    """(prompt, reference, near miss) for every harness item, longest prompt first (most
    specific wins)."""
    try:
        from mapelite.harnesses import HARNESSES
    except ImportError:  # harness registry not importable: answer "OK" to everything
        return ()
    items = [
        (item.prompt, item.reference, item.near_miss)
        for h in HARNESSES.values()
        for item in h.items
    ]
    return tuple(sorted(items, key=lambda known: len(known[0]), reverse=True))


def _known(user_text: str) -> tuple[str, str, str] | None:
    for known in _known_items():
        if known[0] and known[0] in user_text:
            return known
    return None


def default_answer(user_text: str) -> str:
    known = _known(user_text)
    return known[1] if known is not None else FALLBACK_ANSWER


def wrong_candidate(user_text: str) -> str | None:
    """The recognised item's near miss (a plausible wrong answer in the answer's format)."""
    known = _known(user_text)
    return known[2] if known is not None else None
