"""Item banks: where a harness run's items come from (DESIGN.md, "Items come from banks").

`sample_items` is the entry point; `items_for`/`harness_for` apply a run's options.
Imports `mapelite.errors`, `mapelite.schemas` and `mapelite.harnesses` (the items' scorers).
"""

from mapelite.banks.registry import (
    CORE_BANK,
    DEFAULT_BANK,
    DEFAULT_CONTEXT_TOKENS,
    DEFAULT_GEN_ITEMS,
    DEFAULT_ITEM_SEED,
    DEFAULT_ITEMS,
    GENERATORS,
    bank_names,
    check_recorded_sample,
    harness_for,
    items_for,
    sample_items,
)

__all__ = [
    "CORE_BANK",
    "DEFAULT_BANK",
    "DEFAULT_CONTEXT_TOKENS",
    "DEFAULT_GEN_ITEMS",
    "DEFAULT_ITEMS",
    "DEFAULT_ITEM_SEED",
    "GENERATORS",
    "bank_names",
    "check_recorded_sample",
    "harness_for",
    "items_for",
    "sample_items",
]
