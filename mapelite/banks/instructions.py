"""IFEval-style verifiable instructions: text, checker, and how to satisfy or break each.

Every instruction type draws its parameters, says what it asks (``text``), checks a reply
(``check``), turns a reply that follows the other instructions into one that also follows this
one (``apply``), and turns a compliant reply into a plausible non-compliant one (``violate``,
for near misses). Types that cannot hold together share a ``tags`` entry and are never drawn
together. Checkers are ours (the offline IFEval checker packages need downloads at run time).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable

from mapelite.banks.instruction_base import Instruction, sentences
from mapelite.banks.instruction_layout import LAYOUT_FACTORIES
from mapelite.harnesses.deliver import reader_sentences
from mapelite.harnesses.scoring import contains_word, count_words

_PHASES = ("content", "layout", "start", "end", "case", "punctuation", "wrap")


def _word_count(text: str, word: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE))


def _replace_word(text: str, word: str, new: str) -> str:
    return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", new, text, flags=re.IGNORECASE)


_KEYWORDS = ("lantern", "harbour", "compass", "meadow", "ribbon", "orchard", "pebble", "summit")
_FREQUENT = ("community", "patience", "practice", "season", "detail", "balance")
_FORBIDDEN = ("really", "very", "simply", "great")
_PHRASES = ("Is there anything else I can help with?", "Thanks for reading.", "That is all.")
_STARTS = ("Honestly", "Today", "Imagine", "Surprisingly", "Curiously")


def _include(rng: random.Random) -> Instruction:
    a, b = rng.sample(_KEYWORDS, 2)
    return Instruction(
        "include_keywords",
        f'Include the keywords "{a}" and "{b}" in the response.',
        lambda t: contains_word(t, a) and contains_word(t, b),
        lambda t: f"{t} It reminds me of a {a} and a {b}.",
        lambda t: _replace_word(t, a, "thing"),
        "content",
    )


def _frequency(rng: random.Random) -> Instruction:
    word, times = rng.choice(_FREQUENT), rng.randint(2, 4)
    extra = " ".join(f"The word {word} matters here, point {i + 1}." for i in range(times))
    return Instruction(
        "keyword_frequency",
        f'The word "{word}" should appear at least {times} times.',
        lambda t: _word_count(t, word) >= times,
        lambda t: f"{t} {extra}",
        lambda t: _replace_word(t, word, "it"),
        "content",
    )


def _forbidden(rng: random.Random) -> Instruction:
    word = rng.choice(_FORBIDDEN)
    return Instruction(
        "forbidden_word",
        f'Do not use the word "{word}" anywhere in the response.',
        lambda t: _word_count(t, word) == 0,
        lambda t: _replace_word(t, word, "quite"),
        lambda t: f"{t} It is {word} worth it.",
        "content",
    )


def _placeholders(rng: random.Random) -> Instruction:
    count = rng.randint(1, 3)
    names = ("[name]", "[address]", "[date]")[:count]
    return Instruction(
        "placeholders",
        f"The response must contain at least {count} placeholders in square brackets, such "
        "as [address].",
        lambda t: len(re.findall(r"\[[^\[\]\n]+\]", t)) >= count,
        lambda t: f"{t} Write to {' and '.join(names)} for details.",
        lambda t: t.replace("[", "").replace("]", ""),
        "content",
    )


def _min_words(rng: random.Random) -> Instruction:
    floor = rng.randint(20, 45)

    def apply(text: str) -> str:
        while count_words(text) < floor:
            text = f"{text} There is always a little more to learn about it."
        return text

    return Instruction(
        "min_words",
        f"Answer with at least {floor} words.",
        lambda t: count_words(t) >= floor,
        apply,
        lambda t: " ".join(t.split()[: max(1, floor // 4)]),
        "content",
        frozenset({"length"}),
    )


def _max_words(rng: random.Random) -> Instruction:
    ceiling = rng.randint(110, 220)
    padding = " Another thought follows here." * (ceiling // 4 + 1)
    return Instruction(
        "max_words",
        f"Answer with at most {ceiling} words.",
        lambda t: 0 < count_words(t) <= ceiling,
        lambda t: t,
        lambda t: t + padding,
        "content",
        frozenset({"length", "grows"}),
    )


def _min_sentences(rng: random.Random) -> Instruction:
    floor = rng.randint(6, 9)

    def apply(text: str) -> str:
        while len(sentences(text)) < floor:
            text = f"{text} One more point is worth making."
        return text

    return Instruction(
        "min_sentences",
        f"Your response should contain at least {floor} sentences.",
        lambda t: len(reader_sentences(t)) >= floor,  # "e.g." and "Mr." end no sentence
        apply,
        lambda t: " ".join(sentences(t)[:2]),
        "content",
        frozenset({"length"}),
    )


def _title(rng: random.Random) -> Instruction:
    title = rng.choice(("A Short Note", "Some Thoughts", "On This Topic", "Field Notes"))
    return Instruction(
        "title",
        "Your answer must contain a title, wrapped in double angular brackets, such as "
        "<<poem of joy>>.",
        lambda t: re.search(r"<<[^\n<>]+>>", t) is not None,
        lambda t: f"<<{title}>>\n{t}",
        lambda t: re.sub(r"<<([^\n<>]+)>>", r"\1", t),
        "start",
        frozenset({"start"}),
    )


def _start_word(rng: random.Random) -> Instruction:
    word = rng.choice(_STARTS)

    def first_word(text: str) -> str:
        match = re.match(r"\W*(\w+)", text)
        return match.group(1).lower() if match else ""

    return Instruction(
        "start_word",
        f'Begin your response with the word "{word}".',
        lambda t: first_word(t) == word.lower(),
        lambda t: f"{word}, {t[:1].lower()}{t[1:]}",
        lambda t: f"Well, {t}",
        "start",
        frozenset({"start", "comma"}),
    )


def _ends_with_postscript(text: str, marker: str) -> bool:
    """A paragraph starting with ``marker`` (any case) is the reply's last: "at the end"."""
    starts = list(re.finditer(rf"^\s*{re.escape(marker.lower())}", text.lower(), re.MULTILINE))
    return bool(starts) and not re.search(r"\n\s*\n\s*\S", text[starts[-1].start() :])


def _postscript(rng: random.Random) -> Instruction:
    marker = rng.choice(("P.S.", "P.P.S"))
    return Instruction(
        "postscript",
        f"At the end of your response, please explicitly add a postscript starting with {marker}",
        lambda t: _ends_with_postscript(t, marker),
        lambda t: f"{t}\n\n{marker} Thank you for your time.",
        lambda t: re.sub(rf"\n\n{re.escape(marker)}.*$", "", t, flags=re.DOTALL | re.I),
        "end",
        frozenset({"end"}),
    )


def _end_phrase(rng: random.Random) -> Instruction:
    phrase = rng.choice(_PHRASES)
    return Instruction(
        "end_phrase",
        f'Finish your response with this exact phrase: "{phrase}". No other words should '
        "follow this phrase.",
        lambda t: t.strip().endswith(phrase),
        lambda t: f"{t} {phrase}",
        lambda t: f"{t} Goodbye for now.",
        "end",
        frozenset({"end", "case"}),
    )


def _lowercase(rng: random.Random) -> Instruction:
    return Instruction(
        "lowercase",
        "Your entire response should be in English, and in all lowercase letters. No capital "
        "letters are allowed.",
        lambda t: t == t.lower() and any(ch.isalpha() for ch in t),
        str.lower,
        lambda t: t[:1].upper() + t[1:] if t[:1].isalpha() else "The " + t,
        "case",
        frozenset({"case"}),
    )


def _uppercase(rng: random.Random) -> Instruction:
    return Instruction(
        "uppercase",
        "Your entire response should be in English, and in all capital letters.",
        lambda t: t == t.upper() and any(ch.isalpha() for ch in t),
        str.upper,
        lambda t: t + " the end",
        "case",
        frozenset({"case"}),
    )


def _capital_words(rng: random.Random) -> Instruction:
    count = rng.randint(2, 4)
    shout = " ".join(("VERY", "IMPORTANT", "NOTE", "INDEED")[:count])

    def found(text: str) -> int:
        return len(re.findall(r"\b[A-Z]{2,}\b", text))

    return Instruction(
        "capital_words",
        f"In your response, words with all capital letters should appear at least {count} times.",
        lambda t: found(t) >= count,
        lambda t: f"{t} {shout}.",
        lambda t: re.sub(r"\b[A-Z]{2,}\b", lambda m: m.group(0).lower(), t),
        "case",
        frozenset({"case"}),
    )


def _no_commas(rng: random.Random) -> Instruction:
    return Instruction(
        "no_commas",
        "In your entire response, refrain from the use of any commas.",
        lambda t: "," not in t,
        lambda t: t.replace(", ", " ").replace(",", ""),
        lambda t: f"{t} Yes, that is all.",
        "punctuation",
        frozenset({"comma"}),
    )


def _quotation(rng: random.Random) -> Instruction:
    return Instruction(
        "quotation",
        "Wrap your entire response with double quotation marks.",
        lambda t: len(t.strip()) > 1 and t.strip()[0] == '"' and t.strip()[-1] == '"',
        lambda t: f'"{t}"',
        lambda t: t.strip().strip('"'),
        "wrap",
        frozenset({"start", "end"}),
    )


def _json_format(rng: random.Random) -> Instruction:
    def valid(text: str) -> bool:
        try:
            return isinstance(json.loads(text.strip()), dict)  # the prompt asks for an object
        except ValueError:
            return False

    return Instruction(
        "json_format",
        "Entire output should be wrapped in JSON format (a JSON object).",
        valid,
        lambda t: json.dumps({"response": t}),
        lambda t: f"Here is the JSON:\n{t}",
        "wrap",
        frozenset({"start", "end", "layout", "case", "comma"}),
    )


FACTORIES: tuple[Callable[[random.Random], Instruction], ...] = (
    _include, _frequency, _forbidden, _placeholders, _min_words, _max_words, _min_sentences,
    *LAYOUT_FACTORIES, _title, _start_word, _postscript, _end_phrase, _lowercase, _uppercase,
    _capital_words, _no_commas, _quotation, _json_format,
)  # fmt: skip


def draw_instructions(rng: random.Random, count: int) -> list[Instruction]:
    """``count`` instructions of different kinds that can all hold together."""
    chosen: list[Instruction] = []
    for factory in rng.sample(FACTORIES, len(FACTORIES)):
        candidate = factory(rng)
        if all(not (candidate.tags & other.tags) for other in chosen):
            chosen.append(candidate)
        if len(chosen) == count:
            break
    return sorted(chosen, key=lambda instruction: _PHASES.index(instruction.phase))
