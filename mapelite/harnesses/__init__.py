"""The eight evaluation harnesses (ids are stable, see DESIGN.md): prompts, scorers and answer
extraction. Imports `mapelite.errors` and `mapelite.sandbox` (SHAPE's tests run there).
"""

from mapelite.harnesses.base import Harness, Item, Scorer, estimate_tokens
from mapelite.harnesses.registry import HARNESSES, get_harness, parse_harness_selection

__all__ = [
    "HARNESSES",
    "Harness",
    "Item",
    "Scorer",
    "estimate_tokens",
    "get_harness",
    "parse_harness_selection",
]
