"""What every generator shares: seeded randomness, item identity, and fictional word lists.

An item of a generated bank is a pure function of (harness, generator version, knobs, index):
its random source is seeded from a hash of those parts, never from process state, so any
process on any machine builds the very same item. Python's `random.Random` with an integer
seed is stable across platforms and releases for the calls used here (randrange, choice,
sample, shuffle).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mapelite.harnesses.base import Item

T = TypeVar("T")

GEN_BANK = "gen"


def seeded_rng(*parts: object) -> random.Random:
    """A random source determined by ``parts`` alone."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def content_hash(item: Item) -> str:
    """Hash of what a model sees (system and prompt): equal hashes are the same question."""
    text = "\x1f".join((item.system or "", item.prompt))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def items_digest(items: Sequence[Item]) -> str:
    """One hash over a list of items (ids, banks, families, prompts, references, near misses)."""
    hasher = hashlib.sha256()
    for item in items:
        for part in (
            item.id,
            item.bank,
            item.bank_version,
            item.family or "",
            item.system or "",
            item.prompt,
            item.reference,
            item.near_miss,
        ):
            hasher.update(part.encode("utf-8"))
            hasher.update(b"\x1f")
        hasher.update(b"\x1e")
    return hasher.hexdigest()


def gen_id(prefix: str, version: str, index: int, knob: str = "") -> str:
    """``sense-g1-000042``; a knob that changes the item joins the id (``store-g1-t4000-…``)."""
    middle = f"-{knob}" if knob else ""
    return f"{prefix}-g{version}{middle}-{index:06d}"


@dataclass(frozen=True)
class Generator:
    """A harness's generated bank: ``build(index, rng, knobs)`` makes item ``index``."""

    harness_id: int
    prefix: str
    version: str
    build: Callable[[int, random.Random, dict[str, int]], Item]
    knob_defaults: tuple[tuple[str, int], ...] = ()
    capacity: int = 1_000_000
    """Indices the sampler draws from; far more than the distinct items any sample asks for."""

    def knobs(self, given: dict[str, int | None]) -> dict[str, int]:
        known = dict(self.knob_defaults)
        for name, value in given.items():
            if name in known and value is not None:
                known[name] = int(value)
        return known

    def item(self, index: int, knobs: dict[str, int] | None = None) -> Item:
        chosen = self.knobs(dict(knobs or {}))
        parts = [self.prefix, self.version, *(f"{k}={v}" for k, v in sorted(chosen.items()))]
        return self.build(index, seeded_rng(*parts, index), chosen)


def pick(rng: random.Random, options: Sequence[T], count: int) -> list[T]:
    """``count`` distinct entries of ``options`` in random order."""
    return rng.sample(list(options), count)


FIRST_NAMES = (
    "Ada", "Bram", "Cleo", "Dario", "Esme", "Farid", "Greta", "Hugo", "Ines", "Jonah", "Kira",
    "Lars", "Maren", "Nils", "Odile", "Pavel", "Quinn", "Rosa", "Soren", "Talia", "Umar",
    "Vera", "Wren", "Xavi", "Yara", "Zeno", "Amara", "Basil", "Celia", "Dmitri", "Elsa",
    "Felix", "Gemma", "Hamid", "Ilse", "Joaquin", "Keiko", "Linus", "Mira", "Nadia", "Otto",
    "Priya", "Ravi", "Selma", "Tomas", "Ulla", "Viktor", "Wanda", "Yusuf", "Zora",
)  # fmt: skip
LAST_NAMES = (
    "Alder", "Brightwater", "Castell", "Dunmore", "Eastby", "Fairholm", "Greaves", "Halloran",
    "Ivesly", "Jarrow", "Kestrel", "Lindqvist", "Marlow", "Northcote", "Oakhurst", "Pellham",
    "Quarry", "Rowntree", "Saltmarsh", "Thistle", "Underhill", "Vantongeren", "Whitlow",
    "Yarrow", "Zeller", "Ashdown", "Birchall", "Corwin", "Delacroix", "Elmsley", "Fenwick",
    "Garroway", "Hartigan", "Inchbald", "Juniper", "Kowalczyk", "Lockridge", "Moravec",
)  # fmt: skip
TOWNS = (
    "Amberley", "Brackenford", "Caldermoor", "Dunhallow", "Elmstead", "Fallowmere", "Glenrook",
    "Harrowgate", "Ivydale", "Juniper Falls", "Kettleby", "Lowmarsh", "Millbrook", "Northwick",
    "Oakvale", "Pebblecombe", "Quillstone", "Redhaven", "Saltcote", "Thornbury", "Upperwell",
    "Valebridge", "Westerholt", "Yewmouth", "Ashcombe", "Briarfield", "Coldwater", "Deepdene",
)  # fmt: skip
THINGS = (
    "lanterns", "notebooks", "teapots", "kites", "birdhouses", "candles", "puzzles", "scarves",
    "clocks", "mugs", "baskets", "umbrellas", "lamps", "backpacks", "telescopes", "compasses",
    "flowerpots", "blankets", "chessboards", "bicycles bells", "maps", "postcards",
)  # fmt: skip
COLOURS = (
    "red", "blue", "green", "yellow", "purple", "orange", "white", "black", "grey", "silver",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def people(rng: random.Random, count: int) -> list[str]:
    """``count`` full names with distinct first and last names (no near-duplicates)."""
    firsts = pick(rng, FIRST_NAMES, count)
    lasts = pick(rng, LAST_NAMES, count)
    return [f"{f} {s}" for f, s in zip(firsts, lasts, strict=True)]


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
