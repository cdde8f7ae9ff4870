"""The hard budget of one run id: a unit starts only when its reserved cost fits.

Before a unit (one harness run) starts, its cost is *reserved*: the prompts the runner will send
(system + user message of each item, upstream answers included, counted the way the estimates
count tokens) plus the harness's expected completion per item, at the catalog prices — scaled up
by how far this model's actual costs exceeded that expectation earlier in the run (capped at the
worst case, ``max_tokens`` per item). A unit starts only if ``spent + reserved + its reservation
<= limit``. When it does not fit while other units are in flight it waits for them (their
actual cost replaces their reservation, which usually frees room); when it does not fit with
nothing in flight the budget stops: that unit and every later one are skipped. So the units in
flight at any moment (up to the provider limits, 64 for mockllm) are admitted only together
within the budget, never on the hope that costs arrive in time.

What this guarantees, and what it cannot:

- spend never exceeds the budget as long as no unit costs more than its reservation. mockllm
  counts prompt tokens the way the reservation does and answers within the expected completion
  (measured on this project: actual/expected <= 0.98 over 1,056 units of every harness, role
  and demo model), so a simulated run never passes its budget, at any concurrency
  (tests/test_run_integrity.py pins it);
- a real provider can bill more than the reservation (a longer answer, a tokenizer counting
  more than 4 characters a token, retried attempts whose usage is unknown). The overshoot is
  then at most what the units already in flight exceed their reservations by — at most their
  worst cases; once a model has cost more than expected, its later units reserve more;
- the run stops with up to one unit's reservation of the budget unused (it does not fit);
- ``--budget 0`` starts nothing (not even free local models): it is the way to check a command
  without a single model call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from mapelite.banks import harness_for
from mapelite.catalog.cost import call_cost_usd, format_usd
from mapelite.catalog.models import Catalog, load_catalog
from mapelite.harnesses.base import estimate_tokens
from mapelite.search.costs import thinking_tokens
from runners.base import UnitRequest
from runners.prompts import build_messages


def usd(value: float) -> str:
    """Dollars with as many digits as a small budget needs: ``$1.00``, ``$0.001``."""
    return format_usd(value)


@dataclass(frozen=True)
class UnitCost:
    """What one unit should cost (``expected``: its prompts as the runner builds them plus the
    harness's expected completion per item) and can cost at most (``worst``: ``max_tokens`` of
    completion per item), at the catalog prices of its model."""

    model: str
    expected_usd: float
    worst_usd: float


def unit_cost(unit: UnitRequest, catalog: Catalog | None = None) -> UnitCost:
    harness = harness_for(unit.harness_id, unit.options)
    context = unit.options.context
    role = context.role if context is not None else "single"
    max_tokens = unit.options.max_tokens or harness.max_tokens
    tokens_in = items = 0
    for item in harness.items[: unit.options.item_limit]:
        upstream = tuple(context.upstream_answers.get(item.id, ())) if context else ()
        messages = build_messages(harness, item, role, upstream)
        tokens_in += sum(estimate_tokens(message.content) for message in messages)
        items += 1
    catalog = catalog or load_catalog()
    # A reasoning setting's thinking is paid as output on top of the answer: reserved at its cap.
    thinking = items * thinking_tokens(unit.options.reasoning)[1]
    expected_out = items * min(harness.expected_completion_tokens, max_tokens) + thinking
    worst_out = items * max_tokens + thinking
    return UnitCost(
        model=unit.model,
        expected_usd=call_cost_usd(unit.model, tokens_in, expected_out, catalog=catalog),
        worst_usd=call_cost_usd(unit.model, tokens_in, worst_out, catalog=catalog),
    )


@dataclass
class Budget:
    """Spend, reservations and the stop of one run id (used from one event loop).

    ``spent_usd`` starts with what units of this run id recorded before a resume cost.
    """

    limit_usd: float
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    in_flight: int = 0
    skipped: int = 0
    """Units not started because of the budget."""
    stopped_reason: str | None = None
    _settled: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _drift: dict[str, float] = field(default_factory=dict, repr=False)
    """Model -> highest actual / expected cost seen in this run (>= 1)."""

    def reservation(self, cost: UnitCost) -> float:
        """The expected cost, scaled by how far this model's actual costs have exceeded their
        expectation so far in the run (never above the worst case)."""
        drift = self._drift.get(cost.model, 1.0)
        return min(cost.worst_usd, cost.expected_usd * drift)

    def fits(self, amount_usd: float) -> bool:
        after = self.spent_usd + self.reserved_usd + amount_usd
        return self.limit_usd > 0 and after <= self.limit_usd

    async def reserve(self, cost: UnitCost, *, wait: bool = True) -> float | None:
        """Reserve the cost of a unit about to start; returns the amount reserved, or None when
        the unit must not start.

        With ``wait`` a unit that does not fit waits while others are in flight (their
        settlement may free room); without it (a unit joining others about to start together)
        it is refused at once and may be offered again later. With nothing in flight a unit
        that does not fit stops the budget."""
        while self.stopped_reason is None:
            amount = self.reservation(cost)
            if self.fits(amount):
                self.reserved_usd += amount
                self.in_flight += 1
                return amount
            if self.in_flight == 0:
                self._stop(amount)
                break
            if not wait:
                return None
            self._settled.clear()
            await self._settled.wait()
        self.skipped += 1
        return None

    def settle(self, cost: UnitCost, reserved_usd: float, actual_usd: float) -> None:
        """A unit finished (or raised: ``actual_usd`` 0, its cost unknown): its actual cost
        replaces its reservation, and a cost above expectation raises the model's drift."""
        self.reserved_usd = max(0.0, self.reserved_usd - reserved_usd)
        self.in_flight -= 1
        self.spent_usd += actual_usd
        if cost.expected_usd > 0 and actual_usd > cost.expected_usd:
            ratio = actual_usd / cost.expected_usd
            self._drift[cost.model] = max(self._drift.get(cost.model, 1.0), ratio)
        self._settled.set()

    def add(self, cost_usd: float) -> None:
        """Spend that had no reservation (e.g. recorded before a resume)."""
        self.spent_usd += cost_usd

    def finish(self) -> str | None:
        """At the end of the run: a run whose spend reached the budget is reported as stopped
        even if nothing was skipped. Returns the stop reason."""
        if self.stopped_reason is None and self.spent_usd >= self.limit_usd:
            self.stopped_reason = (
                f"budget reached: spent {usd(self.spent_usd)} of {usd(self.limit_usd)} "
                "(--budget / MAPELITE_BUDGET_USD)"
            )
        return self.stopped_reason

    def _stop(self, amount_usd: float) -> None:
        self._settled.set()  # wakes nothing today (a stop needs nothing in flight); kept safe
        if self.limit_usd <= 0:
            self.stopped_reason = (
                f"budget is {usd(self.limit_usd)} (--budget / MAPELITE_BUDGET_USD): "
                "no harness run was started"
            )
            return
        self.stopped_reason = (
            f"budget stop: spent {usd(self.spent_usd)} of {usd(self.limit_usd)} "
            f"(--budget / MAPELITE_BUDGET_USD); the next harness run would cost about "
            f"{usd(amount_usd)}, which does not fit, so no further runs were started"
        )
