"""Layout instructions (bullets, paragraphs, sections, highlights, two responses): each
rebuilds the reply's structure from its sentences, so at most one of them is drawn at a time
(except highlights, which only add marked phrases)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from mapelite.banks.instruction_base import Instruction, bullets, sentences
from mapelite.harnesses.content import distinct_and_substantive


def _bullet_list(rng: random.Random) -> Instruction:
    count = rng.randint(3, 5)

    def apply(text: str) -> str:
        parts = sentences(text)
        while len(parts) < count:
            parts.append("One more point is worth making.")
        head = [*parts[: count - 1], " ".join(parts[count - 1 :])]
        return "\n".join(f"- {part}" for part in head)

    return Instruction(
        "bullet_list",
        f'Your answer must contain exactly {count} bullet points, each starting with "- ".',
        lambda t: len(bullets(t)) == count and distinct_and_substantive(bullets(t), 2),
        apply,
        lambda t: t + "\n- And one more thing.",
        "layout",
        frozenset({"layout"}),
    )


def _paragraphs(rng: random.Random) -> Instruction:
    count = rng.randint(2, 4)

    def split(text: str) -> list[str]:
        return [p for p in re.split(r"\s?\*\*\*\s?", text) if p.strip()]

    def apply(text: str) -> str:
        parts = sentences(text)
        while len(parts) < count:
            parts.append("One more point is worth making.")
        size = -(-len(parts) // count)
        groups = [parts[i * size : (i + 1) * size] for i in range(count)]
        groups[-1] += parts[count * size :]
        if not groups[-1]:
            groups[-1] = ["One more point is worth making."]
        return "\n***\n".join(" ".join(group) for group in groups)

    return Instruction(
        "paragraphs",
        f"There should be exactly {count} paragraphs, separated from each other by the "
        "markdown divider ***.",
        lambda t: len(split(t)) == count,
        apply,
        lambda t: t.replace("\n***\n", "\n\n"),
        "layout",
        frozenset({"layout"}),
    )


def _sections(rng: random.Random) -> Instruction:
    count = rng.randint(2, 3)

    def apply(text: str) -> str:
        parts = sentences(text)
        while len(parts) < count:
            parts.append("One more point is worth making.")
        size = -(-len(parts) // count)
        return "\n\n".join(
            f"SECTION {i + 1}\n{' '.join(parts[i * size : (i + 1) * size]) or 'More to say.'}"
            for i in range(count)
        )

    return Instruction(
        "sections",
        f"Your response must have {count} sections. Mark the beginning of each section with "
        "SECTION X, such as: SECTION 1.",
        lambda t: len(re.findall(r"^SECTION \d+\b", t, re.MULTILINE)) == count,
        apply,
        lambda t: re.sub(r"^SECTION \d+\n", "", t, flags=re.MULTILINE),
        "layout",
        frozenset({"layout", "case"}),
    )


def _highlights(rng: random.Random) -> Instruction:
    count = rng.randint(1, 3)

    def found(text: str) -> int:
        return sum(1 for h in re.findall(r"\*[^\n*]+\*", text) if h.strip("*").strip())

    def apply(text: str) -> str:
        words = ["*key point*", "*worth noting*", "*in short*"][:count]
        return f"{text} Highlights: {', '.join(words)}."

    return Instruction(
        "highlights",
        f"Highlight at least {count} parts of your answer with markdown, i.e. *highlighted "
        "section*.",
        lambda t: found(t) >= count,
        apply,
        lambda t: re.sub(r"\*([^\n*]+)\*", r"\1", t),
        "layout",
    )


def _two_responses(rng: random.Random) -> Instruction:
    def split(text: str) -> list[str]:
        return [part.strip() for part in text.split("******") if part.strip()]

    return Instruction(
        "two_responses",
        "Give two different responses, separated by 6 asterisk symbols: ******.",
        lambda t: len(split(t)) == 2 and split(t)[0] != split(t)[1],
        lambda t: f"{t}\n******\nIn other words: {t}",
        lambda t: t.split("******")[0].strip(),
        "layout",
        frozenset({"layout", "end", "grows"}),
    )


LAYOUT_FACTORIES: tuple[Callable[[random.Random], Instruction], ...] = (
    _bullet_list,
    _paragraphs,
    _sections,
    _highlights,
    _two_responses,
)
