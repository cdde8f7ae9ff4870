"""A recorded item found again from what the ledger keeps of it: harness, bank and id.

``core`` items by id; ``gen`` items rebuilt from their id (``decide-g1-s4-000042``: generator
version, difficulty knob, index), which names everything the generator needs; HumanEval by
id; a dataset file by id when the file is still there. An item that cannot be found (another
generator version, a file gone) is None: its stored score stays.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mapelite.banks import humaneval
from mapelite.banks.common import GEN_BANK
from mapelite.banks.registry import CORE_BANK, GENERATORS
from mapelite.banks.userfile import load_user_items
from mapelite.errors import MapEliteError
from mapelite.harnesses.base import Item
from mapelite.harnesses.registry import get_harness

_GEN_ID = re.compile(
    r"^(?P<prefix>[a-z]+)-g(?P<version>[^-]+)(?:-(?P<knob>[a-z]\d+))?-(?P<index>\d+)$"
)
_KNOB_LETTERS = {"s": "steps", "n": "instructions", "t": "context_tokens"}
"""The letter a knob writes into a generated item's id (`mapelite.banks.gen_*`)."""


def find_item(harness_id: int, bank: str, item_id: str) -> Item | None:
    """The item ``item_id`` of ``bank`` for harness ``harness_id``, or None."""
    try:
        if bank == CORE_BANK:
            return get_harness(harness_id).item(item_id)
        if bank == GEN_BANK:
            return _generated(harness_id, item_id)
        if bank == humaneval.BANK:
            return _by_id(tuple(humaneval.humaneval_items()), item_id)
        return _by_id(tuple(load_user_items(harness_id, bank)), item_id)
    except (KeyError, MapEliteError, OSError):
        return None


def _generated(harness_id: int, item_id: str) -> Item | None:
    generator = GENERATORS.get(harness_id)
    parsed = _GEN_ID.match(item_id)
    if generator is None or parsed is None or parsed["version"] != generator.version:
        return None
    knobs: dict[str, int] = {}
    if parsed["knob"]:
        knobs[_KNOB_LETTERS.get(parsed["knob"][0], "")] = int(parsed["knob"][1:])
    item = generator.item(int(parsed["index"]), knobs)
    return item if item.id == item_id else None  # the id must name the very same item


@lru_cache(maxsize=16)
def _index(items: tuple[Item, ...]) -> dict[str, Item]:
    return {item.id: item for item in items}


def _by_id(items: tuple[Item, ...], item_id: str) -> Item | None:
    return _index(items).get(item_id)
