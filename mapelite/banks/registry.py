"""Which banks each harness has, and the deterministic sampler over them.

`sample_items(harness_id, n, seed, bank=...)` is the one way a run, an estimate or a listing
gets its items: the same (harness, n, seed, bank, knobs) gives the same items in the same
order in every process, so every model and every run answers the same sample.

- ``core``: the curated items (ids never change). ``n=None`` is all of them in their order;
  otherwise a seeded sample of ``min(n, 6)``.
- ``gen``: the harness's generator. Indices are drawn from the seed; an index whose content
  repeats an earlier one of the sample is skipped, so a sample's items are content-distinct.
  ``n=None`` is `DEFAULT_GEN_ITEMS` items.
- ``humaneval`` (SHAPE only): the 164 HumanEval problems; ``n=None`` or ``n >= 164`` is all.
- a file path: the user's dataset (`mapelite.banks.userfile`); ``n=None`` is every row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import lru_cache

from mapelite.banks import (
    gen_decide,
    gen_deliver,
    gen_disrupt,
    gen_fuse,
    gen_immunize,
    gen_sense,
    gen_shape,
    gen_store,
    humaneval,
)
from mapelite.banks.common import GEN_BANK, Generator, content_hash, seeded_rng
from mapelite.banks.userfile import load_user_items
from mapelite.errors import InvalidInputError
from mapelite.harnesses.base import Harness, Item
from mapelite.harnesses.registry import get_harness
from mapelite.schemas import HarnessResult, HarnessRunnerOptions

CORE_BANK = "core"
DEFAULT_GEN_ITEMS = 100
"""Sample size of the ``gen`` bank when none is given."""

# What the command line offers by default. At these, `batch tier1 --harness all` (10 models
# × 8 harnesses × 100 items) is estimated at about $0.21, worst case $0.45, with the shipped
# catalog: within the $0.50 a batch may cost (tests/test_banks_sampling.py checks it).
# `HarnessRunnerOptions` itself defaults to the core bank so library callers keep old behaviour.
DEFAULT_BANK = GEN_BANK
DEFAULT_ITEMS = DEFAULT_GEN_ITEMS
DEFAULT_ITEM_SEED = 0
DEFAULT_CONTEXT_TOKENS = gen_store.DEFAULT_CONTEXT_TOKENS

GENERATORS: dict[int, Generator] = {
    g.harness_id: g
    for g in (
        gen_sense.GENERATOR,
        gen_fuse.GENERATOR,
        gen_shape.GENERATOR,
        gen_deliver.GENERATOR,
        gen_disrupt.GENERATOR,
        gen_immunize.GENERATOR,
        gen_store.GENERATOR,
        gen_decide.GENERATOR,
    )
}
_MAX_SKIPS_PER_ITEM = 50


def bank_names(harness_id: int) -> list[str]:
    """The named banks of a harness (a file path is always accepted besides these)."""
    get_harness(harness_id)
    names = [CORE_BANK, GEN_BANK]
    if harness_id == humaneval.HARNESS_ID:
        names.append(humaneval.BANK)
    return names


def _seed_text(seed: int) -> str:
    return f"sample|{seed}"


def _seeded_subset(items: Sequence[Item], n: int | None, seed: int, tag: str) -> list[Item]:
    if n is None or n >= len(items):
        return list(items)
    rng = seeded_rng(tag, _seed_text(seed))
    return rng.sample(list(items), n)


def _gen_sample(harness_id: int, n: int, seed: int, knobs: dict[str, int | None]) -> list[Item]:
    generator = GENERATORS[harness_id]
    chosen = generator.knobs(knobs)
    rng = seeded_rng(generator.prefix, generator.version, _seed_text(seed))
    items: list[Item] = []
    seen_index: set[int] = set()
    seen_content: set[str] = set()
    for _ in range(n * _MAX_SKIPS_PER_ITEM):
        if len(items) == n:
            break
        index = rng.randrange(generator.capacity)
        if index in seen_index:
            continue
        seen_index.add(index)
        item = generator.item(index, chosen)
        digest = content_hash(item)
        if digest not in seen_content:
            seen_content.add(digest)
            items.append(item)
    return items


@lru_cache(maxsize=64)
def _cached_sample(
    harness_id: int,
    n: int | None,
    seed: int,
    bank: str,
    context_tokens: int | None,
    instructions: int | None,
    steps: int | None,
) -> tuple[Item, ...]:
    harness = get_harness(harness_id)
    if bank == CORE_BANK:
        return tuple(_seeded_subset(harness.items, n, seed, f"core|{harness_id}"))
    if bank == GEN_BANK:
        knobs = {"context_tokens": context_tokens, "instructions": instructions, "steps": steps}
        return tuple(_gen_sample(harness_id, n or DEFAULT_GEN_ITEMS, seed, knobs))
    if bank == humaneval.BANK:
        if harness_id != humaneval.HARNESS_ID:
            raise InvalidInputError(
                f"bank humaneval belongs to harness {humaneval.HARNESS_ID} (SHAPE), not "
                f"{harness_id} ({harness.name}); banks of {harness.name}: "
                f"{', '.join(bank_names(harness_id))} or a dataset file"
            )
        return tuple(_seeded_subset(humaneval.humaneval_items(), n, seed, "humaneval"))
    items = load_user_items(harness_id, bank)
    return tuple(_seeded_subset(items, n, seed, f"file|{harness_id}"))


def sample_items(
    harness_id: int,
    n: int | None = None,
    seed: int = 0,
    *,
    bank: str = CORE_BANK,
    context_tokens: int | None = None,
    instructions: int | None = None,
    steps: int | None = None,
) -> list[Item]:
    """The sample of ``n`` items of ``bank`` chosen by ``seed`` (see the module doc).

    Difficulty knobs of the gen bank (other harnesses and banks ignore them):
    ``context_tokens``, STORE's prompt length; ``instructions``, DELIVER's instructions per
    prompt (1–3); ``steps``, the operations of every DECIDE problem. An unknown bank name that
    is not a readable file is an `InvalidInputError`.
    """
    if n is not None and n < 1:
        raise InvalidInputError(f"the number of items must be at least 1, not {n}")
    if instructions is not None and not 1 <= instructions <= 3:
        raise InvalidInputError(f"instructions per prompt must be 1 to 3, not {instructions}")
    if steps is not None and not 1 <= steps <= 12:
        raise InvalidInputError(f"reasoning steps must be 1 to 12, not {steps}")
    return list(_cached_sample(harness_id, n, seed, bank, context_tokens, instructions, steps))


def items_for(harness_id: int, options: HarnessRunnerOptions) -> list[Item]:
    """The items a harness run answers under ``options`` (sample, then ``item_limit``)."""
    items = sample_items(
        harness_id,
        options.items,
        options.item_seed,
        bank=options.bank,
        context_tokens=options.context_tokens,
        instructions=options.instructions_per_prompt,
        steps=options.reasoning_steps,
    )
    return items[: options.item_limit]


def harness_for(harness_id: int, options: HarnessRunnerOptions | None = None) -> Harness:
    """The harness with its items replaced by the sample ``options`` choose.

    With default options (core bank, every item) it is the registered harness itself.
    """
    harness = get_harness(harness_id)
    if options is None or _is_default(options):
        return harness
    return dataclasses.replace(harness, items=tuple(items_for(harness_id, options)))


def _is_default(options: HarnessRunnerOptions) -> bool:
    return options.bank == CORE_BANK and options.items is None and options.item_limit is None


def check_recorded_sample(
    run_id: str, recorded: Mapping[str, HarnessResult], options: HarnessRunnerOptions
) -> None:
    """Refuse (InvalidInputError, before any call) to resume a run id whose recorded units
    answered other items than ``options`` sample: their results would mix two samples."""
    expected: dict[int, set[tuple[str, str]]] = {}
    for key, result in sorted(recorded.items()):
        answered = {(o.bank, o.item_id) for o in result.metadata.items}
        if not answered:
            continue
        harness_id = result.harness_id
        if harness_id not in expected:
            expected[harness_id] = {(i.bank, i.id) for i in items_for(harness_id, options)}
        if answered != expected[harness_id]:
            raise InvalidInputError(
                f"run id {run_id} answered another item sample in unit {key} (bank, --items, "
                "--item-seed or a difficulty knob differ); resume with the same sample, or "
                "choose another run id"
            )
