"""Content rules of instruction-following items: the reply says something, on the asked topic.

A form rule ("exactly 4 bullets", "all capitals") can be met by words that say nothing
("- Benefit one", "LOREM IPSUM!"). A content rule checks what the prompt asks the words to
be about: the topic's own words, items that are distinct and real, not placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


PLACEHOLDER_WORDS = _word_set(
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed placeholder placeholders "
    "sample example text here item items point points benefit benefits thing things stuff "
    "something blah foo bar baz qux xxx xyz asdf tbd todo etc word words sentence sentences "
    "bullet bullets line lines insert content title name summary string value one two three "
    "four five six seven eight nine ten first second third fourth fifth number fill filler "
    "dummy test testing generic "
)
_STOP = _word_set(
    "the a an and or of to in on at for with by from is are be it its this that these those "
    "your you my our their his her as so very can will just also into about than then "
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning: not stop words, not placeholder vocabulary."""
    words = (word.lower() for word in _WORD.findall(text))
    return [word for word in words if word not in _STOP and word not in PLACEHOLDER_WORDS]


def substantive(text: str, least: int = 1) -> bool:
    """``text`` holds at least ``least`` meaningful words (placeholders and filler do not count)."""
    return len(content_words(text)) >= least


def distinct_and_substantive(parts: Iterable[str], least: int = 1) -> bool:
    """Every part says something, and no two parts say the same thing."""
    keys = [" ".join(content_words(part)) for part in parts]
    return (
        bool(keys)
        and all(len(key.split()) >= least for key in keys)
        and len(set(keys)) == len(keys)
    )


_GENERIC = frozenset(("old", "new", "messy", "big", "small", "good", "short", "long"))
_GENERIC_VERBS = frozenset(
    ("keep", "start", "mak", "writ", "host", "sort", "visit", "train", "open", "do", "hav")
)


def topic_stems(topic: str) -> tuple[str, ...]:
    """The stems a reply on ``topic`` may use ("learning a new language" -> "language",
    "learn"; "birdwatching in winter" -> "birdwatch", "bird", "wint"): its words, a gerund as
    its verb, and the head of a long compound, because replies name a topic in their own words
    ("learning Korean", "the birds in the snowy trees"); generic adjectives do not count."""
    words = [word for word in content_words(topic) if word not in _GENERIC and len(word) >= 3]
    stems: list[str] = []
    for word in words:
        if word.endswith("ing") and len(word) > 5:
            word = word[:-3]
            word = word[:-1] if word[-1:] == word[-2:-1] else word  # "shopp" -> "shop"
            if word not in _GENERIC_VERBS:
                stems.append(word)
        else:
            stems.append(_stem(word))
        if len(word) >= 8:
            stems.append(word[:4])  # "birdwatch" -> "bird", "watercolour" -> "water"
    return tuple(dict.fromkeys(stems))


def _stem(word: str) -> str:
    if len(word) > 5:
        return word[: len(word) - 2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def on_topic(topic: str, frame: str = "", related: str = "") -> Callable[[str], bool]:
    """Check: the reply uses one of the topic's own words or of its ``related`` vocabulary
    (stems, any case, any ending: "loaf" and "dough" for baking bread); words of the task's
    ``frame`` ("a workshop on ...") do not count, since every reply repeats them."""
    stems = (*topic_stems(topic), *related.split())
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(stem) for stem in stems) + r")", re.I)
    framed = {word.lower() for word in _WORD.findall(frame)} - set(_WORD.findall(topic.lower()))

    def check(text: str) -> bool:
        words = (word for word in _WORD.findall(text) if word.lower() not in framed)
        return bool(stems) and any(pattern.match(word) for word in words)

    return check
