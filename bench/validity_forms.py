"""The reference answer in every accepted form scores 1, its near miss below 1 (0 where the
score is all or nothing), across generated items: the property sweep of ``make validity``.

Forms of a fact answer (SENSE, FUSE, DISRUPT, STORE, DECIDE): the reference as written, a bare
answer line, a plain sentence without one, ``\\boxed{}``, inline LaTeX, a bold answer line, a
markdown table row, working on the answer line, a thinking block before it, and a correction
that ends on it. IMMUNIZE: the JSON plain, fenced, indented, with its keys in lower case.
DELIVER: the reference, fenced. SHAPE: the reply as written, the code with another fence tag,
the code with prose after it. The unit suite runs the sweep over fewer SHAPE items
(``tests/test_scorer_properties.py``); ``make validity`` runs all of them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from mapelite.banks.registry import GENERATORS
from mapelite.harnesses.base import Item

FACT_HARNESSES = (0, 1, 4, 6, 7)
ALL_OR_NOTHING = {0, 1, 2, 4, 5, 6, 7}  # DELIVER scores a fraction of its rules


def _value(text: str) -> str:
    return text.rsplit("ANSWER:", 1)[1].strip()


def _fact_forms(reply: str) -> list[str]:
    value = _value(reply)
    forms = [
        reply,
        f"ANSWER: {value}",
        f"Reading it all through, it is {value}.",
        f"The result is $\\boxed{{{value}}}$.",
        f"ANSWER: \\( {value} \\)",
        f"**Final answer:** {value}",
        f"| Answer | {value} |",
        f"<think>Not sure yet.</think>\nANSWER: {value}",
        f"ANSWER: none\n\nWait, actually the answer is {value}.",
    ]
    if value.isdigit() and int(value) > 0:
        forms.append(f"ANSWER: {int(value) - 1} + 1 = {value}")
    return forms


def _immunize_forms(reply: str) -> list[str]:
    value = json.loads(reply)
    return [
        reply,
        f"```json\n{reply}\n```",
        json.dumps(value, indent=2),
        json.dumps({key.lower(): field for key, field in value.items()}),
    ]


def _shape_forms(reply: str) -> list[str]:
    return [
        reply,
        reply.replace("```python", "```py"),
        f"{reply}\n\nIt handles the edge cases the specification names.",
    ]


FORMS: dict[int, Callable[[str], list[str]]] = {
    **dict.fromkeys(FACT_HARNESSES, _fact_forms),
    2: _shape_forms,
    3: lambda reply: [reply, f"```\n{reply}\n```"],
    5: _immunize_forms,
}


def check_item(harness_id: int, item: Item) -> list[str]:
    """What goes wrong for one item: each form of its reference below 1, its near miss not."""
    problems = []
    for form in FORMS[harness_id](item.reference):
        if item.score(form) != 1.0:
            problems.append(f"{item.id}: reference form scored below 1: {form[:120]!r}")
    miss = item.score(item.near_miss)
    if miss >= 1.0 or (harness_id in ALL_OR_NOTHING and miss != 0.0):
        problems.append(f"{item.id}: near miss scored {miss}: {item.near_miss[:120]!r}")
    return problems


def harness_problems(harness_id: int, items: int, workers: int = 1) -> list[str]:
    generator = GENERATORS[harness_id]
    built = [generator.item(index) for index in range(items)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        found = pool.map(lambda item: check_item(harness_id, item), built)
        return [problem for problems in found for problem in problems]


def sweep(items: int = 1000) -> int:
    """Run the sweep over ``items`` generated items per harness; print and count failures."""
    print(f"\nproperty sweep: {items} generated items per harness")
    failures = 0
    for harness_id in sorted(GENERATORS):
        problems = harness_problems(harness_id, items, workers=4 if harness_id == 2 else 1)
        failures += len(problems)
        prefix = GENERATORS[harness_id].prefix.upper()
        print(f"  {prefix}: {len(problems)} failures")
        for problem in problems[:5]:
            print(f"    {problem}")
    return failures


if __name__ == "__main__":
    sys.exit(1 if sweep(int(sys.argv[1]) if len(sys.argv) > 1 else 1000) else 0)
