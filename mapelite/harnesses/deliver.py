"""Harness 3, DELIVER: instruction following, scored by IFEval-style programmatic checks.

Score of an item = fraction of its checks passed. A reply that is one fenced block is read as
its body (models often fence plain output); nothing else is forgiven.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from mapelite.harnesses.base import Harness, Item, Scorer
from mapelite.harnesses.scoring import (
    contains_word,
    count_words,
    extract_json_object,
    safe_scorer,
    unwrap_fence,
)

Check = Callable[[str], bool]
_BULLET = re.compile(r"^\s*[-*•]\s+\S")


def checks_scorer(checks: Sequence[Check]) -> Scorer:
    """Scorer: fraction of ``checks`` that hold for the (fence-unwrapped) reply."""

    def score(answer: str) -> float:
        text = unwrap_fence(answer)
        if not text:
            return 0.0  # "no exclamation marks" and the like must not pass vacuously
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


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part.strip()]


def _list_items(text: str) -> list[str]:
    return [part.strip() for part in text.strip().rstrip(".").split(",")]


# deliver-01: an exact bullet list
def _four_bullets(text: str) -> bool:
    return len(_bullets(text)) == 4


def _only_bullets(text: str) -> bool:
    return all(_BULLET.match(line) for line in _lines(text))


def _bullets_short(text: str) -> bool:
    return all(count_words(line) <= 10 for line in _bullets(text))


# deliver-02: JSON with given keys
_GAME_KEYS = {"name", "players", "minutes", "summary"}


def _is_json_object(text: str) -> bool:
    return extract_json_object(text) is not None


def _has_exact_keys(text: str) -> bool:
    value = extract_json_object(text)
    return value is not None and set(value) == _GAME_KEYS


def _integer_fields(text: str) -> bool:
    value = extract_json_object(text) or {}
    return all(
        isinstance(value.get(key), int) and not isinstance(value.get(key), bool)
        for key in ("players", "minutes")
    )


def _short_summary(text: str) -> bool:
    summary = (extract_json_object(text) or {}).get("summary")
    return isinstance(summary, str) and 0 < count_words(summary) <= 20


def _only_json(text: str) -> bool:
    return text.startswith("{") and text.endswith("}")


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
    return len(_sentences(text)) == 3


def _sentences_start_with_the(text: str) -> bool:
    sentences = _sentences(text)
    return bool(sentences) and all(re.match(r"The\b", sentence) for sentence in sentences)


def _no_cheese(text: str) -> bool:
    return "cheese" not in text.lower()


def _one_paragraph(text: str) -> bool:
    return len(_lines(text)) == 1


# deliver-05: a sorted comma-separated list
def _single_line(text: str) -> bool:
    return len(_lines(text)) == 1


def _five_items(text: str) -> bool:
    items = _list_items(text)
    return len(items) == 5 and all(re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+)*", i) for i in items)


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


def _signed_off(text: str) -> bool:
    lines = _lines(text)
    return bool(lines) and lines[-1] == "Best wishes, Sam"


def _no_exclamation(text: str) -> bool:
    return "!" not in text


def _item(item_id: str, prompt: str, reference: str, near_miss: str, *checks: Check) -> Item:
    return Item(item_id, prompt, reference, near_miss, checks_scorer(checks))


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
        _is_json_object,
        _has_exact_keys,
        _integer_fields,
        _short_summary,
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
)
