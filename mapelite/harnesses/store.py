"""Harness 6, STORE: exact recall of facts spread through a long context.

Each item is a garden logbook of about a thousand tokens: deterministic filler entries (built
by index arithmetic, no randomness), one target fact at a chosen depth and one distractor of
the same kind elsewhere, so a vague memory gives a plausible wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapelite.harnesses.base import Harness, Item, Scorer
from mapelite.harnesses.scoring import exact_number, exact_quote, exact_text, question_prompt

_INTRO = "Below is a long logbook. Read all of it, then answer the question at the end."
_ENTRIES_PER_LOG = 44

_PEOPLE = ("Ines", "Marek", "Yuki", "Bram", "Odile", "Kwame", "Sofia", "Arjun", "Greta", "Luis")
_ACTIONS = (
    "weeded the herb beds",
    "turned the compost heap",
    "checked the rain barrels",
    "tied up the bean poles",
    "swept the tool shed",
    "watered the seedlings in the greenhouse",
    "repainted the bench by the pond",
    "sorted the seed packets",
    "mowed the strip along the fence",
    "refilled the bird feeders",
    "pruned the raspberry canes",
    "labelled the new flower rows",
)
_WEATHER = (
    "under a grey sky",
    "in light drizzle",
    "on a bright, breezy morning",
    "in the late afternoon sun",
    "while it was still misty",
    "before the evening rain",
    "in warm, still air",
)
_NOTES = (
    "Nothing unusual was reported.",
    "Two visitors asked about joining the garden club.",
    "The robins were nesting in the hedge again.",
    "Someone left a basket of spare lettuce by the gate.",
    "The pond level looked normal.",
    "A few slugs were found under the boards.",
    "The sign-in sheet was nearly full.",
    "Tea was shared in the shed afterwards.",
    "The wind knocked over one of the watering cans.",
)


def filler_entry(seed: int, index: int) -> str:
    """A deterministic, varied but uninformative log entry."""
    person = _PEOPLE[(seed * 3 + index * 7) % len(_PEOPLE)]
    action = _ACTIONS[(seed * 5 + index * 5) % len(_ACTIONS)]
    weather = _WEATHER[(seed + index * 3) % len(_WEATHER)]
    note = _NOTES[(seed * 2 + index * 4) % len(_NOTES)]
    return f"{person} {action} {weather}. {note}"


def logbook(seed: int, facts: dict[int, str]) -> str:
    """A logbook of filler entries with ``facts`` placed at the given entry indices."""
    lines = []
    for index in range(_ENTRIES_PER_LOG):
        text = facts.get(index, filler_entry(seed, index))
        lines.append(f"Day {index + 1}: {text}")
    return "Logbook of the Fernhill community garden:\n" + "\n".join(lines)


@dataclass(frozen=True)
class _Recall:
    id: str
    seed: int
    facts: dict[int, str]
    question: str
    value_hint: str
    reference: str
    near_miss: str


_RECALLS: tuple[_Recall, ...] = (
    _Recall(
        "store-01",
        1,
        {
            5: "The lock on the blue storage room was changed; its new code is 4471.",
            30: "The lock on the red storage room was changed; its new code is 4417.",
        },
        "What is the code of the lock on the blue storage room?",
        "code",
        "The blue storage room's new code is 4471.\n\nANSWER: 4471",
        "The storage room code is 4417.\n\nANSWER: 4417",
    ),
    _Recall(
        "store-02",
        2,
        {
            12: "Tobias Lind fixed the squeaking garden gate.",
            37: "Rosalind Achebe repaired the greenhouse door, which had come off its hinge.",
        },
        "Who repaired the greenhouse door?",
        "full name",
        "The greenhouse door was repaired by Rosalind Achebe.\n\nANSWER: Rosalind Achebe",
        "The log says Tobias Lind did the repair.\n\nANSWER: Tobias Lind",
    ),
    _Recall(
        "store-03",
        3,
        {
            3: "The neighbouring farm told us they keep 9 beehives along our shared hedge.",
            22: "The garden installed 7 beehives of its own beside the orchard.",
        },
        "How many beehives did the garden install of its own?",
        "number",
        "The garden installed 7 beehives beside the orchard.\n\nANSWER: 7",
        "There are 9 beehives along the hedge.\n\nANSWER: 9",
    ),
    _Recall(
        "store-04",
        4,
        {
            8: "From now on the compost delivery arrives every Thursday morning.",
            19: "The mulch delivery was moved to Tuesdays.",
        },
        "On which day does the compost delivery arrive?",
        "day of the week",
        "According to the logbook, the compost delivery arrives every Thursday morning.\n\n"
        "ANSWER: Thursday",
        "The delivery comes on Tuesdays.\n\nANSWER: Tuesday",
    ),
    _Recall(
        "store-05",
        5,
        {
            33: "The Wi-Fi password for the tool shed is now sunflower-88.",
            40: "The old Wi-Fi password, sunflower-38, no longer works.",
        },
        "What is the current Wi-Fi password for the tool shed?",
        "password",
        "The current password is `sunflower-88`.\n\nANSWER: sunflower-88",
        "The password is sunflower-38.\n\nANSWER: sunflower-38",
    ),
    _Recall(
        "store-06",
        6,
        {
            15: "The old red wheelbarrow finally broke and was taken to the recycling centre.",
            41: "The garden bought a new wheelbarrow; it is green with a yellow handle.",
        },
        "What is the main colour of the new wheelbarrow?",
        "colour",
        "The new wheelbarrow is green (with a yellow handle).\n\nANSWER: green",
        "The wheelbarrow is red.\n\nANSWER: red",
    ),
)


_QUOTED_HINTS = {"code", "password"}


def _scorer(recall: _Recall) -> Scorer:
    """Codes and passwords are quoted exactly ("04471" is not the code 4471); counts are
    numbers; anything else is text, with the near miss's value as the distractor."""
    expected = recall.reference.rsplit("ANSWER:", 1)[1].strip()
    distractor = recall.near_miss.rsplit("ANSWER:", 1)[1].strip()
    if recall.value_hint in _QUOTED_HINTS:
        return exact_quote(expected)
    if expected.isdigit():
        return exact_number(float(expected))
    return exact_text(expected, rivals=(distractor,))


def _item(recall: _Recall) -> Item:
    score = _scorer(recall)
    return Item(
        id=recall.id,
        prompt=question_prompt(
            _INTRO, logbook(recall.seed, recall.facts), recall.question, recall.value_hint
        ),
        reference=recall.reference,
        near_miss=recall.near_miss,
        score=score,
    )


ITEMS: tuple[Item, ...] = tuple(_item(recall) for recall in _RECALLS)

HARNESS = Harness(
    id=6,
    name="STORE",
    description="context retention: facts spread through a long context",
    items=ITEMS,
    max_tokens=128,
    expected_completion_tokens=30,
    system="You answer from the given context only, quoting values exactly.",
    scorer_version="3",  # 3: thinking never graded, corrections after the answer, sign-offs
    # skipped (blind sets); 2: the shared answer grammar
)
