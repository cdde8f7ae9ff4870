"""Harness 0, SENSE: factual questions answered from a given passage (normalised exact match).

Each passage also holds a distractor of the same kind (another year, another name, another
number), so a careless read produces a plausible wrong answer.
"""

from __future__ import annotations

from mapelite.harnesses.base import Harness, Item
from mapelite.harnesses.scoring import exact_number, exact_text, question_prompt

_INTRO = "Read the passage and answer the question using only the passage."

_LIBRARY = (
    "Passage:\n"
    "The Harbor Street Library opened its doors in 1962 in a former fish market. Its first "
    "head librarian, Marisol Ortega, insisted on long opening hours so that dock workers could "
    "borrow books after their shifts. A reading garden was added in 1968, and the children's "
    "wing, run for many years by Martin Ortego, followed in 1975. Today the library holds about "
    "48,000 books and lends board games on weekends."
)

_RACE = (
    "Passage:\n"
    "The Coastal Classic bicycle race starts in the harbour town of Lindell and finishes in "
    "Porvik after 182 kilometres. The hardest part is the 18.2-kilometre climb up Mount Ara, "
    "about two thirds of the way along. This year Tomas Brekke won in 4 hours 12 minutes, "
    "eleven seconds ahead of his cousin Jonas Brekke."
)

_BAKERY = (
    "Passage:\n"
    "Linden Bakery bakes three breads every morning. The sourdough loaf costs $6.50, the rye "
    "loaf costs $5.75 and the seeded spelt loaf costs $7.25. On Fridays the bakery also sells "
    "cinnamon buns at $3.20 each. Orders for more than ten loaves must be placed a day ahead."
)

_FROG = (
    "Passage:\n"
    "The amber tree frog lives only on the island of Keva, although a close relative, the "
    "green reed frog, is common on the neighbouring island of Sora. Amber tree frogs lay their "
    "eggs in rainwater pools that collect inside bromeliad plants, and adults rarely grow longer "
    "than three centimetres. Researchers count them each March, when the males call loudest."
)

ITEMS: tuple[Item, ...] = (
    Item(
        id="sense-01",
        prompt=question_prompt(_INTRO, _LIBRARY, "In what year did the library open?", "year"),
        reference="The passage says the library opened its doors in 1962.\n\nANSWER: 1962",
        near_miss="The reading garden was added to the library in 1968.\n\nANSWER: 1968",
        score=exact_number(1962),
    ),
    Item(
        id="sense-02",
        prompt=question_prompt(
            _INTRO, _LIBRARY, "What was the name of the first head librarian?", "full name"
        ),
        reference="The first head librarian was **Marisol Ortega**.\n\nANSWER: Marisol Ortega",
        near_miss="The first head librarian was Martin Ortego.\n\nANSWER: Martin Ortego",
        score=exact_text("Marisol Ortega", rivals=("Martin Ortego",)),
    ),
    Item(
        id="sense-03",
        prompt=question_prompt(_INTRO, _RACE, "In which town does the race start?", "town"),
        reference="The Coastal Classic starts in the harbour town of Lindell.\n\nANSWER: Lindell",
        near_miss="The race goes from the coast to Porvik.\n\nANSWER: Porvik",
        score=exact_text("Lindell", rivals=("Porvik",)),
    ),
    Item(
        id="sense-04",
        prompt=question_prompt(
            _INTRO, _RACE, "How long is the whole race, in kilometres?", "number of kilometres"
        ),
        reference="From Lindell to Porvik the race covers 182 kilometres.\n\nANSWER: 182",
        near_miss="The climb up Mount Ara is the key part of the race.\n\nANSWER: 18.2 km",
        score=exact_number(182, unit="km"),
    ),
    Item(
        id="sense-05",
        prompt=question_prompt(
            _INTRO, _BAKERY, "How much does the rye loaf cost, in dollars?", "price in dollars"
        ),
        reference="According to the passage, the rye loaf costs $5.75.\n\nANSWER: 5.75",
        near_miss="The rye loaf costs $6.50.\n\nANSWER: 6.50",
        score=exact_number(5.75, unit="usd"),
    ),
    Item(
        id="sense-06",
        prompt=question_prompt(
            _INTRO, _FROG, "On which island does the amber tree frog live?", "island name"
        ),
        reference="The amber tree frog lives only on the island of Keva.\n\nANSWER: Keva",
        near_miss="It lives on the island of Sora.\n\nANSWER: Sora",
        score=exact_text("Keva", "Keva island", "island of Keva", rivals=("Sora",)),
    ),
)

HARNESS = Harness(
    id=0,
    name="SENSE",
    description="factual QA / extraction from a given text",
    items=ITEMS,
    max_tokens=256,
    expected_completion_tokens=60,
    system="You answer questions about a given text precisely and briefly.",
    scorer_version="3",  # 3: thinking never graded, corrections after the answer, sign-offs
    # skipped (blind sets); 2: the shared answer grammar
)
