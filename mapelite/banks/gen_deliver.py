"""DELIVER generator: a base writing task × 1–3 verifiable instructions (IFEval style).

The reference is built, not written: a plain draft on the topic, then each instruction's
``apply`` in phase order; it is kept only when every check passes (otherwise the draw is
repeated with the same random source, which is still deterministic). The near miss breaks one
instruction with its ``violate``. The ``instructions`` knob fixes how many are drawn (0: 1–3).
"""

from __future__ import annotations

import random

from mapelite.banks.common import GEN_BANK, Generator, gen_id
from mapelite.banks.instructions import Instruction, draw_instructions
from mapelite.harnesses.base import Item
from mapelite.harnesses.content import on_topic
from mapelite.harnesses.deliver import HARNESS as CORE
from mapelite.harnesses.deliver import checks_scorer

VERSION = "2"
"""2: the reply must be on the topic (its own words), bullets distinct and real; the draft
always names the topic."""
_MAX_TRIES = 50
_TASKS = (
    "Write a short blog post about {topic}.",
    "Write a brief note to a friend about {topic}.",
    "Write a short product description for a workshop on {topic}.",
    "Describe {topic} to a ten-year-old.",
    "Write a short newsletter paragraph about {topic}.",
    "Give some advice to a beginner interested in {topic}.",
)
_TOPICS = (
    "learning to bake bread", "keeping a garden diary", "birdwatching in winter",
    "repairing an old bicycle", "starting a book club", "learning a new language",
    "walking to work", "building a birdhouse", "visiting a night market", "planting tomatoes",
    "flying a kite on the beach", "sorting a messy closet", "making soup for neighbours",
    "learning to juggle", "painting with watercolours", "camping in the rain",
    "training for a 5k run", "volunteering at a library", "growing herbs on a windowsill",
    "writing postcards", "learning chess openings", "hosting a board game night",
)  # fmt: skip
_TOPIC_WORDS = {  # words a reply on the topic uses when it does not repeat the topic's own
    "learning to bake bread": "loaf loaves dough flour yeast knead oven crust sourdough bak",
    "keeping a garden diary": "journal notebook plant seed flower bloom weather entr",
    "birdwatching in winter": "bird feeder binocular robin cardinal finch snow cold frost",
    "repairing an old bicycle": "bike cycl chain brake tyre tire pedal gear wheel spoke saddle",
    "starting a book club": "read novel author chapter genre meeting member discuss",
    "learning a new language": "vocabular grammar word fluent speak phrase accent lesson",
    "walking to work": "commut foot step stroll pavement sidewalk office stride",
    "building a birdhouse": "nest wood plank nail hammer saw roof perch",
    "visiting a night market": "stall food vendor lantern snack street crowd",
    "planting tomatoes": "seedling soil vine stake water plant grow garden",
    "flying a kite on the beach": "wind string sand sea shore tail sky",
    "sorting a messy closet": "wardrobe clothes cloth shelf shelv hanger declutter tidy",
    "making soup for neighbours": "broth pot stew vegetable ladle recipe neighbor",
    "learning to juggle": "ball catch throw toss pattern cascade",
    "painting with watercolours": "brush paint pigment palette paper colour color wash",
    "camping in the rain": "tent tarp wet waterproof campfire sleeping storm puddle",
    "training for a 5k run": "running jog pace mile kilomet race stride sneaker shoe",
    "volunteering at a library": "book shelf shelv reader librarian volunteer read",
    "growing herbs on a windowsill": "basil mint parsley thyme pot soil plant sunlight leaves",
    "writing postcards": "card stamp mail letter send address travel",
    "learning chess openings": "pawn knight bishop rook queen king board move gambit",
    "hosting a board game night": "dice card friend player snack turn rule",
}
_SENTENCES = (
    "{Topic} is a very rewarding way to spend a free afternoon.",
    "Many people start {topic} by accident, and then they never stop.",
    "The first attempt is rarely perfect, but that is part of the fun.",
    "You need only a little patience, a little time, and some curiosity.",
    "It is really worth asking someone with experience for a tip or two.",
    "Small, regular sessions help more than one long weekend of effort.",
    "Keeping short notes shows how much progress you have made.",
    "Friends and family often want to join in once they see the results.",
    "Mistakes are simply lessons that arrive a little early.",
    "A great way to begin is to set one small goal for the week.",
)


def _draft(rng: random.Random, topic: str) -> str:
    chosen = [rng.choice(_SENTENCES[:2]), *rng.sample(_SENTENCES[2:], 4)]  # names the topic
    return " ".join(s.format(topic=topic, Topic=topic[:1].upper() + topic[1:]) for s in chosen)


def _compliant(draft: str, instructions: list[Instruction]) -> str | None:
    reply = draft
    for instruction in instructions:
        reply = instruction.apply(reply)
    return reply if all(i.check(reply) for i in instructions) else None


def _near_miss(reply: str, instructions: list[Instruction]) -> str | None:
    for instruction in instructions:
        broken = instruction.violate(reply)
        if broken.strip() and not instruction.check(broken):
            return broken
    return None


def _build(index: int, rng: random.Random, knobs: dict[str, int]) -> Item:
    for _ in range(_MAX_TRIES):
        topic = rng.choice(_TOPICS)
        frame = rng.choice(_TASKS)
        task = frame.format(topic=topic)
        count = knobs["instructions"] or rng.randint(1, 3)
        instructions = draw_instructions(rng, min(3, max(1, count)))
        reference = _compliant(_draft(rng, topic), instructions)
        if reference is None:
            continue
        near_miss = _near_miss(reference, instructions)
        if near_miss is None:
            continue
        kinds = "+".join(sorted(i.kind for i in instructions))
        return Item(
            id=gen_id("deliver", VERSION, index, knob=f"n{count}" if knobs["instructions"] else ""),
            prompt=" ".join([task, *(i.text for i in instructions)]),
            reference=reference,
            near_miss=near_miss,
            score=checks_scorer(
                [i.check for i in instructions],
                attempt=on_topic(topic, frame, _TOPIC_WORDS.get(topic, "")),
            ),
            bank=GEN_BANK,
            bank_version=VERSION,
            family=f"deliver-g{VERSION}:{kinds}",
        )
    raise RuntimeError(f"deliver generator found no consistent item for index {index}")


GENERATOR = Generator(
    harness_id=CORE.id,
    prefix="deliver",
    version=VERSION,
    build=_build,
    knob_defaults=(("instructions", 0),),
)
