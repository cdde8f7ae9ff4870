"""The eight harnesses by stable id, and parsing of a user's harness selection."""

from __future__ import annotations

from mapelite.errors import InvalidInputError
from mapelite.harnesses import decide, deliver, disrupt, fuse, immunize, sense, shape, store
from mapelite.harnesses.base import Harness

HARNESSES: dict[int, Harness] = {
    harness.id: harness
    for harness in (
        sense.HARNESS,
        fuse.HARNESS,
        shape.HARNESS,
        deliver.HARNESS,
        disrupt.HARNESS,
        immunize.HARNESS,
        store.HARNESS,
        decide.HARNESS,
    )
}


def _valid_choices() -> str:
    listed = ", ".join(f"{hid}={harness.name}" for hid, harness in sorted(HARNESSES.items()))
    return f"valid harnesses: {listed}, or 'all'"


def get_harness(harness_id: int) -> Harness:
    """The harness with this id; an unknown id is an `InvalidInputError` naming the valid ones."""
    try:
        return HARNESSES[harness_id]
    except (KeyError, TypeError):
        raise InvalidInputError(f"unknown harness {harness_id!r}; {_valid_choices()}") from None


def parse_harness_selection(text: str) -> list[int]:
    """``"all"`` -> every id; ``"0"``, ``"SENSE"``, ``"0,2,DECIDE"`` -> those ids, sorted."""
    by_name = {harness.name.lower(): hid for hid, harness in HARNESSES.items()}
    tokens = [token.strip() for token in str(text).split(",")]
    if not any(tokens):
        raise InvalidInputError(f"no harness selected; {_valid_choices()}")
    selected: set[int] = set()
    for token in tokens:
        lowered = token.lower()
        if lowered == "all":
            selected.update(HARNESSES)
        elif lowered in by_name:
            selected.add(by_name[lowered])
        elif token.isdigit() and int(token) in HARNESSES:
            selected.add(int(token))
        else:
            raise InvalidInputError(f"unknown harness {token!r}; {_valid_choices()}")
    return sorted(selected)
