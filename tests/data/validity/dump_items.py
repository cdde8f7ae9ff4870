"""Writes the item files a blind grader works from (see ``blind-brief.md``): per harness, its
curated items and ``n`` generated items of ``seed``, each with its prompt and a known-right
reply. The grader sees these files and the brief, never the scorers.

    python tests/data/validity/dump_items.py DIR SEED 6
"""

from __future__ import annotations

import sys
from pathlib import Path

from mapelite.banks.registry import sample_items
from mapelite.harnesses import HARNESSES


def item_file(harness_id: int, seed: int, n: int) -> str:
    harness = HARNESSES[harness_id]
    items = [*harness.items, *sample_items(harness_id, n, seed, bank="gen")]
    parts = [
        f"# {harness.name} (harness {harness.id}): items to answer\n\n"
        f"System prompt sent with every item: {harness.system!r}\n"
        f"Answer budget: {harness.max_tokens} tokens\n"
    ]
    for item in items:
        system = f"[item system prompt]\n{item.system}\n" if item.system else ""
        parts.append(
            f"\n\n======== ITEM {item.id} (bank {item.bank}) ========\n{system}"
            f"[prompt]\n{item.prompt}\n[a known-right reference reply]\n{item.reference}\n"
        )
    return "".join(parts)


def main(argv: list[str]) -> int:
    out, seed, n = Path(argv[0]), int(argv[1]), int(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for harness_id, harness in HARNESSES.items():
        (out / f"{harness.name}.md").write_text(item_file(harness_id, seed, n), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
