"""SENSE generator: a fictional document full of facts, each with a same-kind distractor.

A document describes one invented organisation (founding year, founder, town, membership,
ticket price, meeting day, flag colour). Every fact has a distractor of the same kind nearby
(the year of a renovation, the current director, a sister branch...), so a careless read gives
a plausible wrong answer: that is the item's near miss.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from mapelite.banks.common import (
    COLOURS,
    GEN_BANK,
    TOWNS,
    WEEKDAYS,
    Generator,
    gen_id,
    people,
    pick,
)
from mapelite.harnesses.base import Item, Scorer
from mapelite.harnesses.scoring import exact_number, exact_text, question_prompt
from mapelite.harnesses.sense import HARNESS as CORE

VERSION = "2"
"""2: the shared answer grammar (corrections, units: a price is asked in dollars)."""
_INTRO = "Read the passage and answer the question using only the passage."
_KINDS = (
    "rowing club",
    "puppet theatre",
    "seed library",
    "observatory society",
    "ferry company",
    "choir",
    "bicycle workshop",
    "orchard cooperative",
    "chess club",
    "model railway society",
    "community radio station",
    "pottery studio",
)
_NAME_WORDS = (
    "Lantern",
    "Heron",
    "Copper",
    "Willow",
    "Granite",
    "Saffron",
    "Meadow",
    "Harbour",
    "Juniper",
    "Tidewater",
    "Bramble",
    "Northern Star",
)


@dataclass(frozen=True)
class _Fact:
    key: str
    sentence: str
    distractor: str
    question: str
    hint: str
    answer: str
    wrong: str
    score: Scorer


def _facts(rng: random.Random, name: str) -> list[_Fact]:
    founded = rng.randrange(1850, 2011)
    renovated = founded + rng.randrange(3, 14)
    founder, director = people(rng, 2)
    town, branch = pick(rng, TOWNS, 2)
    members = rng.randrange(40, 2000)
    volunteers = members + rng.choice((-1, 1)) * rng.randrange(5, 30)
    adult = rng.randrange(300, 2500, 25)
    child = adult - rng.randrange(100, 250, 25)
    day, market = pick(rng, WEEKDAYS, 2)
    colour, old_colour = pick(rng, COLOURS, 2)

    def money(cents: int) -> str:
        return f"{cents / 100:.2f}"

    return [
        _Fact(
            "year",
            f"The {name} was founded in {founded}.",
            f"Its clubhouse was renovated in {renovated}.",
            f"In what year was the {name} founded?",
            "year",
            str(founded),
            str(renovated),
            exact_number(founded),
        ),
        _Fact(
            "founder",
            f"It was founded by {founder}.",
            f"Today it is run by its director, {director}.",
            f"Who founded the {name}?",
            "full name",
            founder,
            director,
            exact_text(founder, rivals=(director,)),
        ),
        _Fact(
            "town",
            f"Its home is the town of {town}.",
            f"A small sister branch opened later in {branch}.",
            f"In which town is the {name} based?",
            "town",
            town,
            branch,
            exact_text(town, rivals=(branch,)),
        ),
        _Fact(
            "members",
            f"It has {members:,} members.",
            f"Last season {volunteers:,} volunteers helped at its open days.",
            f"How many members does the {name} have?",
            "number",
            str(members),
            str(volunteers),
            exact_number(members),
        ),
        _Fact(
            "price",
            f"An adult ticket for its summer show costs ${money(adult)}.",
            f"A child's ticket costs ${money(child)}.",
            "How much does an adult ticket for the summer show cost, in dollars?",
            "price in dollars",
            money(adult),
            money(child),
            exact_number(adult / 100, unit="usd"),
        ),
        _Fact(
            "day",
            f"Members meet every {day} evening.",
            f"The town market, next door, is held on {market}s.",
            "On which day of the week do the members meet?",
            "day of the week",
            day,
            market,
            exact_text(day, f"{day}s", f"every {day}", rivals=(market,)),
        ),
        _Fact(
            "colour",
            f"Its flag is {colour} with a white border.",
            f"The first flag, retired long ago, was {old_colour}.",
            f"What is the main colour of the {name}'s current flag?",
            "colour",
            colour,
            old_colour,
            exact_text(colour, rivals=(old_colour,)),
        ),
    ]


def _build(index: int, rng: random.Random, knobs: dict[str, int]) -> Item:
    name = f"{rng.choice(_NAME_WORDS)} {rng.choice(_KINDS).title()}"
    facts = _facts(rng, name)
    asked = rng.choice(facts)
    sentences = [(f.sentence, f.distractor) for f in facts]
    rng.shuffle(sentences)
    lines = []
    for fact_sentence, distractor in sentences:
        pair = [fact_sentence, distractor]
        rng.shuffle(pair)  # the distractor comes first as often as not
        lines.extend(pair)
    passage = "Passage:\n" + " ".join(lines)
    make: Callable[[str], str] = lambda value: f"The passage says: {value}.\n\nANSWER: {value}"  # noqa: E731
    return Item(
        id=gen_id("sense", VERSION, index),
        prompt=question_prompt(_INTRO, passage, asked.question, asked.hint),
        reference=make(asked.answer),
        near_miss=make(asked.wrong),
        score=asked.score,
        bank=GEN_BANK,
        bank_version=VERSION,
        family=f"sense-g{VERSION}:{asked.key}",
    )


GENERATOR = Generator(harness_id=CORE.id, prefix="sense", version=VERSION, build=_build)
