"""Answers a harness run takes over instead of calling the model: the scored items of the
entry a resumed unit replaces (carried in its context, `mapelite.ledger.outcomes.reusable_items`)
and those an earlier delivery of the same request recorded (`runners.nats_answers`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from mapelite.harnesses.base import Item
from mapelite.schemas import AgentContext, ItemOutcome

ItemKey = tuple[str, str, str]
"""(bank, bank version, item id): item ids are unique within a bank version only."""
AnswerHook = Callable[[ItemOutcome], Awaitable[None]]


def item_key(item: Item | ItemOutcome) -> ItemKey:
    if isinstance(item, ItemOutcome):
        return (item.bank, item.bank_version, item.item_id)
    return (item.bank, item.bank_version, item.id)


def taken_over(
    context: AgentContext, recovered: Iterable[ItemOutcome] = ()
) -> dict[ItemKey, ItemOutcome]:
    """Answers a harness run takes over instead of calling the model: the scored items its
    recorded entry already holds (``context.reuse``, marked with that entry), then answers a
    killed delivery of this very request paid for (``recovered``: fresh, this run's spend)."""
    found = {item_key(item): item for item in context.reuse if item.scored}
    found.update((item_key(item), item) for item in recovered if item.scored)
    return found
