"""Harness 3, DELIVER: instruction following, scored by IFEval-style programmatic checks.

Score of an item = fraction of its checks passed. A reply that is one fenced block is read as
its body (models often fence plain output); nothing else is forgiven. Every check is one of
the prompt's stated rules; content rules check what the words say (a distinct, real benefit
per bullet, a named game with a summary), so placeholder text fails them. A reply that does not
attempt the task (a refusal, or text about something else) scores 0: rules such as "no
exclamation marks" must not be met by saying nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from mapelite.harnesses.base import Harness, Item, Scorer
from mapelite.harnesses.content import distinct_and_substantive, substantive
from mapelite.harnesses.refusal import opens_with_refusal
from mapelite.harnesses.scoring import (
    contains_word,
    count_words,
    extract_json_object,
    safe_scorer,
    unwrap_fence,
)

Check = Callable[[str], bool]
_BULLET = re.compile(r"^\s*-\s+\S")  # the prompt asks for "- ": "* " and "•" lines break it


def checks_scorer(checks: Sequence[Check], *, attempt: Check | None = None) -> Scorer:
    """Scorer: fraction of ``checks`` that hold for the (fence-unwrapped) reply; 0.0 when the
    reply is empty, opens with a refusal, or fails ``attempt`` (it is not about the task)."""

    def score(answer: str) -> float:
        text = unwrap_fence(answer)
        if not text or opens_with_refusal(text):
            return 0.0  # "no exclamation marks" and the like must not pass vacuously
        if attempt is not None and not _holds(attempt, text):
            return 0.0
        return sum(1 for check in checks if _holds(check, text)) / len(checks)

    return safe_scorer(score)


def _holds(check: Check, text: str) -> bool:
    try:
        return bool(check(text))
    except Exception:
        return False


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _bullets(text: str) -> list[str]:
    return [line for line in _lines(text) if _BULLET.match(line)]


_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "mt", "ft", "no", "fig", "approx",
    "e.g", "i.e", "a.m", "p.m", "u.s", "u.k", "u.n", "e.u", "cf", "al", "ca", "inc", "ltd", "co",
    "etc", "eg", "ie", "dept", "vol", "avg", "tel",
}  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s+")


def reader_sentences(text: str) -> list[str]:
    """Sentences as a reader counts them: a full stop, "!" or "?" ends one, except after an
    abbreviation ("U.S.", "e.g.", "Dr.", "approx.", "etc.") or an initial."""
    sentences, start = [], 0
    text = " ".join(text.split())
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start() + 1].split()
        word = before[-1].rstrip(".").lower() if before else ""
        if text[match.start()] == "." and (
            word in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]|[a-z]", word)
        ):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


def _list_items(text: str) -> list[str]:
    return [part.strip() for part in text.strip().rstrip(".").split(",")]


# deliver-01: an exact bullet list
def _four_bullets(text: str) -> bool:
    return len(_bullets(text)) == 4


def _only_bullets(text: str) -> bool:
    return all(_BULLET.match(line) for line in _lines(text))


def _bullets_short(text: str) -> bool:
    bullets = _bullets(text)
    return bool(bullets) and all(count_words(line) <= 10 for line in bullets)


def _bullets_are_distinct_benefits(text: str) -> bool:
    """Each line states a benefit: two or more meaningful words (placeholders such as
    "Benefit one" are none), and no line says what another says."""
    items = [re.sub(r"^\s*-\s+", "", line) for line in _bullets(text)]
    return distinct_and_substantive(items, 2)


# deliver-02: JSON with given keys
_GAME_KEYS = {"name", "players", "minutes", "summary"}


def _has_exact_keys(text: str) -> bool:
    value = extract_json_object(text)
    return value is not None and set(value) == _GAME_KEYS


def _integer_fields(text: str) -> bool:
    value = extract_json_object(text) or {}
    return all(
        isinstance(value.get(key), int) and not isinstance(value.get(key), bool)
        for key in ("players", "minutes")
    )


def _text_fields(text: str) -> bool:
    value = extract_json_object(text) or {}
    name, summary = value.get("name"), value.get("summary")
    return (
        isinstance(name, str)
        and substantive(name)
        and isinstance(summary, str)
        and substantive(summary, 3)
        and count_words(summary) <= 20
    )


def _only_json(text: str) -> bool:
    """The whole reply is one JSON object (two objects where one is asked is no answer)."""
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


# deliver-03: an all-caps slogan
def _all_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _at_most_eight_words(text: str) -> bool:
    return 0 < count_words(text) <= 8


def _one_final_exclamation(text: str) -> bool:
    return text.endswith("!") and text.count("!") == 1


def _no_other_punctuation(text: str) -> bool:
    return not re.search(r"[^\w\s!]", text)


# deliver-04: three sentences starting with "The"
def _three_sentences(text: str) -> bool:
    return len(reader_sentences(text)) == 3


def _sentences_start_with_the(text: str) -> bool:
    sentences = reader_sentences(text)
    return bool(sentences) and all(re.match(r"The\b", sentence) for sentence in sentences)


def _no_cheese(text: str) -> bool:
    return "cheese" not in text.lower()


def _one_paragraph(text: str) -> bool:
    return len(_lines(text)) == 1


# deliver-05: a sorted comma-separated list
def _single_line(text: str) -> bool:
    return len(_lines(text)) == 1


_FRUIT_WORDS = (
    "apple apricot avocado banana blackberry blackcurrant blueberry boysenberry cantaloupe "
    "cherry clementine coconut cranberry currant damson date dragonfruit durian elderberry fig "
    "gooseberry grape grapefruit guava honeydew jackfruit kiwi kiwifruit kumquat lemon lime "
    "lingonberry loquat lychee mandarin mango mangosteen melon mulberry nectarine olive orange "
    "papaya passionfruit peach pear persimmon pineapple plantain plum pomegranate pomelo quince "
    "raspberry redcurrant rhubarb satsuma soursop starfruit strawberry tamarind tangerine "
    "watermelon yuzu"
)
_FRUITS = frozenset(_FRUIT_WORDS.split())
_FRUIT_PHRASES = {"passion fruit", "dragon fruit", "star fruit", "blood orange", "kiwi fruit"}


def _is_fruit(name: str) -> bool:
    name = name.strip().lower()
    singulars = {name[:-3] + "y", name[:-2], name[:-1]}  # cherries, mangoes, pears
    return name in _FRUITS or name in _FRUIT_PHRASES or bool(singulars & _FRUITS)


def _five_items(text: str) -> bool:
    items = _list_items(text)
    distinct = {item.lower() for item in items}
    return len(items) == 5 == len(distinct) and all(_is_fruit(item) for item in items)


def _lowercase_items(text: str) -> bool:
    return text == text.lower() and any(ch.isalpha() for ch in text)


def _alphabetical(text: str) -> bool:
    items = _list_items(text)
    return len(items) > 1 and items == sorted(items)


# deliver-06: a thank-you note with a fixed sign-off
def _thirty_to_sixty_words(text: str) -> bool:
    return 30 <= count_words(text) <= 60


def _mentions_tomatoes(text: str) -> bool:
    return contains_word(text, "tomatoes")


def _thanks_for_watering(text: str) -> bool:
    lowered = text.lower()
    return (
        re.search(r"thank|grateful|appreciat|gratitude", lowered) is not None
        and re.search(r"\b(?:water|plant|garden|flower|pot|herb|seedling|green|veg)", lowered)
        is not None
    )


def _signed_off(text: str) -> bool:
    lines = _lines(text)
    return bool(lines) and lines[-1] == "Best wishes, Sam"


def _no_exclamation(text: str) -> bool:
    return "!" not in text


def _about(*stems: str) -> Check:
    """The reply is about the asked topic: it uses a word starting with one of ``stems``."""
    pattern = re.compile(r"\b(?:" + "|".join(stems) + r")", re.IGNORECASE)
    return lambda text: pattern.search(text) is not None


_ATTEMPTS: dict[str, Check] = {
    "deliver-03": _about(
        "water", "hydrat", "drink", "sip", "refill", "bottle", "thirst", "planet", "plastic",
        "earth", "reus", "eco", "h2o", "quench", "waste", "ocean", "green", "cool", "fresh",
        "fill", "carry", "pour", "splash", "drop", "flow", "wet", "aqua", "liquid", "cup",
        "tap", "spring", "pure", "gulp", "chug", "thirst", "sustain", "again", "forever",
    ),
    "deliver-04": lambda text: _about("moon", "lunar")(text)
    and distinct_and_substantive(reader_sentences(text), 2),
    "deliver-01": lambda text: substantive(text, 3),
    "deliver-02": lambda text: _text_fields(text),
    "deliver-06": _about(
        "thank", "grateful", "appreciat", "water", "plant", "tomato", "garden", "flower"
    ),
}  # fmt: skip


def _item(item_id: str, prompt: str, reference: str, near_miss: str, *checks: Check) -> Item:
    scorer = checks_scorer(checks, attempt=_ATTEMPTS.get(item_id))
    return Item(item_id, prompt, reference, near_miss, scorer)


ITEMS: tuple[Item, ...] = (
    _item(
        "deliver-01",
        "List exactly 4 benefits of regular walking. Put each benefit on its own line starting "
        'with "- ". Each line may have at most 10 words. Write no other text before or after '
        "the list.",
        "- Strengthens your heart and lungs\n- Lifts your mood\n- Builds stronger leg muscles\n"
        "- Helps you sleep better at night",
        "Here are some benefits of walking:\n- Strengthens your heart and lungs\n"
        "- Lifts your mood\n- Builds stronger leg muscles\n- Helps you sleep better at night\n"
        "- Gets you outside in the fresh air",
        _four_bullets,
        _only_bullets,
        _bullets_short,
        _bullets_are_distinct_benefits,
    ),
    _item(
        "deliver-02",
        "Invent a board game and describe it as a JSON object with exactly these keys: "
        '"name" (a string), "players" (an integer), "minutes" (an integer, typical play time) '
        'and "summary" (a string of at most 20 words). Output only the JSON object.',
        '```json\n{\n  "name": "Lantern Harbor",\n  "players": 4,\n  "minutes": 45,\n'
        '  "summary": "Players guide fishing boats home by placing lanterns along a foggy '
        'coastline."\n}\n```',
        'Here is the game:\n{\n  "name": "Lantern Harbor",\n  "players": "2-4",\n'
        '  "playtime": 45,\n  "summary": "Players guide fishing boats home by placing '
        'lanterns along a foggy coastline."\n}',
        _has_exact_keys,
        _integer_fields,
        _text_fields,
        _only_json,
    ),
    _item(
        "deliver-03",
        "Write a slogan for a reusable water bottle. Rules: use only CAPITAL LETTERS, at most "
        "8 words, end with exactly one exclamation mark, and use no other punctuation. Output "
        "only the slogan.",
        "STAY HYDRATED AND SAVE THE PLANET!",
        "Stay Hydrated, Save the Planet!",
        _all_caps,
        _at_most_eight_words,
        _one_final_exclamation,
        _no_other_punctuation,
    ),
    _item(
        "deliver-04",
        'Write exactly 3 sentences about the Moon. Every sentence must begin with the word "The". '
        'Do not use the word "cheese". Write them as one paragraph of plain text.',
        "The Moon orbits Earth about once every 27 days. The same side of the Moon always "
        "faces us. The Moon's gravity drives the ocean tides.",
        "The Moon orbits Earth about once every 27 days. It always shows us the same side. "
        "The Moon's gravity drives the ocean tides.",
        _three_sentences,
        _sentences_start_with_the,
        _no_cheese,
        _one_paragraph,
    ),
    _item(
        "deliver-05",
        "Give a comma-separated list of exactly 5 fruits, all in lowercase and in alphabetical "
        "order, on a single line. Output nothing else.",
        "apple, banana, cherry, mango, pear",
        "apple, banana, mango, cherry, pear",
        _single_line,
        _five_items,
        _lowercase_items,
        _alphabetical,
    ),
    _item(
        "deliver-06",
        "Write a short note to a neighbour thanking them for watering your plants while you "
        "were away. Requirements: between 30 and 60 words in total; mention the word "
        '"tomatoes"; end with the exact line "Best wishes, Sam"; use no exclamation marks.',
        "Dear Mrs. Patel,\n\nThank you so much for watering my plants while I was away. "
        "Everything looks healthy, and the tomatoes have grown taller than ever. I brought you "
        "a small jar of honey from my trip as a thank-you.\n\nBest wishes, Sam",
        "Dear Mrs. Patel,\n\nThank you so much for watering my plants while I was away! "
        "Everything looks healthy, and the tomatoes have grown taller than ever. I brought you "
        "a small jar of honey from my trip as a thank-you.\n\nThanks again, Sam",
        _thirty_to_sixty_words,
        _thanks_for_watering,
        _mentions_tomatoes,
        _signed_off,
        _no_exclamation,
    ),
)

HARNESS = Harness(
    id=3,
    name="DELIVER",
    description="instruction following (format, count, JSON keys, length)",
    items=ITEMS,
    max_tokens=384,
    expected_completion_tokens=90,
    system="Follow the formatting instructions exactly.",
    scorer_version="3",  # 3: thinking never graded, "- " bullets, topics in own words, sign-offs
    # skipped (blind sets); 2: the shared answer grammar
)
