"""STORE generator: RULER-style needles in a generated haystack of a chosen length.

The ``context_tokens`` knob (default 4,000; try 1k, 4k, 16k, 64k) sets the prompt's length by
the project's token estimate; the haystack is filled to it with varied, uninformative log
entries. Needle tasks: a single needle; several keys where one is asked (the others are
distractors); one key holding two values, both asked for.
"""

from __future__ import annotations

import random

from mapelite.banks.common import (
    FIRST_NAMES,
    GEN_BANK,
    TOWNS,
    Generator,
    gen_id,
    pick,
)
from mapelite.harnesses.base import Item, Scorer
from mapelite.harnesses.scoring import exact_number, exact_numbers, question_prompt
from mapelite.harnesses.store import HARNESS as CORE

VERSION = "2"
"""2: both values of a two-value key are read as a set (any separator, nothing extra)."""
DEFAULT_CONTEXT_TOKENS = 4_000
MIN_CONTEXT_TOKENS = 300
_INTRO = "Below is a long logbook. Read all of it, then answer the question at the end."
_KEY_WORDS = (
    "amber", "basalt", "cobalt", "driftwood", "ember", "fennel", "garnet", "hazel", "indigo",
    "jasper", "kelp", "lichen", "marigold", "nettle", "obsidian", "pewter", "quartz", "russet",
    "sorrel", "tamarind", "umber", "verbena", "wisteria", "yarrow", "zinnia",
)  # fmt: skip
_ACTIONS = (
    "weeded the herb beds", "turned the compost heap", "checked the rain barrels",
    "tied up the bean poles", "swept the tool shed", "watered the greenhouse seedlings",
    "repainted the bench by the pond", "sorted the seed packets", "mowed along the fence",
    "refilled the bird feeders", "pruned the raspberry canes", "labelled the flower rows",
    "fixed a loose fence post", "raked the gravel path", "cleaned the pond filter",
)  # fmt: skip
_WEATHER = (
    "under a grey sky", "in light drizzle", "on a bright, breezy morning", "in warm, still air",
    "in the late afternoon sun", "while it was still misty", "before the evening rain",
)  # fmt: skip
_NOTES = (
    "Nothing unusual was reported.", "Two visitors asked about joining the club.",
    "The robins were nesting in the hedge again.", "Tea was shared in the shed afterwards.",
    "Someone left spare lettuce by the gate.", "The pond level looked normal.",
    "A few slugs were found under the boards.", "The sign-in sheet was nearly full.",
)  # fmt: skip


def _filler(rng: random.Random, day: int) -> str:
    return (
        f"Day {day}: {rng.choice(FIRST_NAMES)} {rng.choice(_ACTIONS)} {rng.choice(_WEATHER)}. "
        f"{rng.choice(_NOTES)}"
    )


def _number(rng: random.Random) -> int:
    return rng.randrange(1_000_000, 10_000_000)


def _needle(key: str, value: int) -> str:
    return f"Note: one of the special magic numbers for {key} is {value}."


def _haystack(rng: random.Random, needles: list[str], budget_chars: int) -> str:
    """Filler entries up to ``budget_chars``, with the needles at random depths."""
    budget = budget_chars - sum(len(n) + 1 for n in needles)
    lines: list[str] = []
    used = 0
    while True:
        line = _filler(rng, len(lines) + 1)
        if used + len(line) + 1 > budget and lines:
            break
        lines.append(line)
        used += len(line) + 1
    for needle in needles:
        lines.insert(rng.randrange(len(lines) + 1), needle)
    return "Logbook of the Fernhill community garden:\n" + "\n".join(lines)


def _build(index: int, rng: random.Random, knobs: dict[str, int]) -> Item:
    tokens = max(MIN_CONTEXT_TOKENS, knobs["context_tokens"])
    task = rng.choice(("single", "multikey", "multivalue"))
    keys = [f"{word}-{town.lower().replace(' ', '-')}" for word, town in
            zip(pick(rng, _KEY_WORDS, 4), pick(rng, TOWNS, 4), strict=True)]  # fmt: skip
    values = [_number(rng) for _ in keys]
    score: Scorer
    if task == "single":
        needles = [_needle(keys[0], values[0])]
        question = f"What is the special magic number for {keys[0]}?"
        answer, wrong = str(values[0]), str(values[0] + rng.choice((-9, -1, 1, 10, 100)))
        score, hint = exact_number(values[0]), "number"
    elif task == "multikey":
        needles = [_needle(key, value) for key, value in zip(keys, values, strict=True)]
        question = f"What is the special magic number for {keys[0]}?"
        answer, wrong = str(values[0]), str(values[1])
        score, hint = exact_number(values[0]), "number"
    else:
        needles = [_needle(keys[0], values[0]), _needle(keys[0], values[1])]
        question = f"What are the two special magic numbers for {keys[0]}?"
        a, b = values[0], values[1]
        answer, wrong = f"{a}, {b}", str(a)
        score, hint = exact_numbers(a, b), "both numbers, comma-separated"
    frame = question_prompt(_INTRO, "", question, hint)
    budget_chars = tokens * 4 - len(frame)
    prompt = question_prompt(_INTRO, _haystack(rng, needles, budget_chars), question, hint)
    return Item(
        id=gen_id("store", VERSION, index, knob=f"t{tokens}"),
        prompt=prompt,
        reference=f"The logbook says so.\n\nANSWER: {answer}",
        near_miss=f"The logbook says so.\n\nANSWER: {wrong}",
        score=score,
        bank=GEN_BANK,
        bank_version=VERSION,
        family=f"store-g{VERSION}:{task}",
    )


GENERATOR = Generator(
    harness_id=CORE.id,
    prefix="store",
    version=VERSION,
    build=_build,
    knob_defaults=(("context_tokens", DEFAULT_CONTEXT_TOKENS),),
)
