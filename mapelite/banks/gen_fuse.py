"""FUSE generator: two or three sources (a table, a log, a memo) joined and computed over.

Each template builds its sources from drawn values and computes the answer from the same
values, so the answer is known by construction. The near miss is what a model gets when it
ignores one source (the memo's rule) or joins on the wrong row.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from mapelite.banks.common import (
    FIRST_NAMES,
    GEN_BANK,
    THINGS,
    TOWNS,
    WEEKDAYS,
    Generator,
    gen_id,
    pick,
)
from mapelite.harnesses.base import Item
from mapelite.harnesses.fuse import HARNESS as CORE
from mapelite.harnesses.scoring import exact_number, question_prompt

VERSION = "2"
"""2: the shared answer grammar; an amount in dollars is asked in dollars."""
_INTRO = "Combine the information in all of the sources below to answer the question."

Built = tuple[str, str, str, float, float, str]
"""(sources, question, value hint, answer, near-miss answer, working)"""


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _orders(rng: random.Random) -> Built:
    products = pick(rng, THINGS, 4)
    codes = [f"P{rng.randrange(100, 999)}" for _ in products]
    while len(set(codes)) < len(codes):
        codes = [f"P{rng.randrange(100, 999)}" for _ in products]
    prices = [rng.randrange(3, 60) for _ in products]
    customers = pick(rng, FIRST_NAMES, 3)
    orders = [(c, rng.randrange(4), rng.randrange(1, 9)) for c in customers for _ in range(2)]
    target = rng.choice(customers)
    discount = rng.choice((10, 20, 25, 50))
    threshold = rng.choice((50, 80, 100, 150))
    table = "\n".join(
        f"{code} | {name} | ${price}"
        for code, name, price in zip(codes, products, prices, strict=True)
    )
    log = "\n".join(
        f"order {i + 1}: {c} bought {q} x {codes[p]}" for i, (c, p, q) in enumerate(orders)
    )
    memo = f"Memo: any single order worth more than ${threshold} gets {discount}% off that order."
    plain = total = 0.0
    for customer, product, quantity in orders:
        if customer != target:
            continue
        value = prices[product] * quantity
        plain += value
        total += value * (100 - discount) / 100 if value > threshold else value
    if total == plain:  # make the memo matter: lower the threshold below the largest order
        return _orders(rng)
    sources = (
        f"Source 1 (price table: code | product | unit price):\n{table}\n\n"
        f"Source 2 (order log):\n{log}\n\nSource 3 ({memo})"
    )
    question = f"How much did {target} pay in total for all of their orders, in dollars?"
    return sources, question, "amount in dollars", total, plain, "each order priced, memo applied"


def _timesheets(rng: random.Random) -> Built:
    staff = pick(rng, FIRST_NAMES, 4)
    rates = [rng.randrange(12, 40) for _ in staff]
    days = pick(rng, WEEKDAYS, 4)
    weekend = rng.choice(("Saturday", "Sunday"))
    if weekend not in days:
        days[rng.randrange(len(days))] = weekend
    shifts = [(rng.choice(staff), day, rng.randrange(2, 9)) for day in days for _ in range(2)]
    target = rng.choice([name for name, day, _ in shifts if day == weekend])
    multiplier = rng.choice((1.5, 2.0))
    table = "\n".join(f"{name} | ${rate} per hour" for name, rate in zip(staff, rates, strict=True))
    log = "\n".join(f"{day}: {name} worked {hours} hours" for name, day, hours in shifts)
    memo = f"Memo: hours worked on a {weekend} are paid at {multiplier:g} times the hourly rate."
    rate = rates[staff.index(target)]
    plain = float(sum(h for n, _, h in shifts if n == target) * rate)
    total = sum(h * rate * (multiplier if d == weekend else 1) for n, d, h in shifts if n == target)
    sources = f"Source 1 (pay rates):\n{table}\n\nSource 2 (timesheet):\n{log}\n\nSource 3 ({memo})"
    question = f"How much is {target} paid for the hours in the timesheet, in dollars?"
    return sources, question, "amount in dollars", total, plain, "hours times rate, weekend rule"


def _shipments(rng: random.Random) -> Built:
    towns = pick(rng, TOWNS, 3)
    codes = pick(rng, ("WH-A", "WH-B", "WH-C", "WH-D", "WH-E", "WH-F"), 3)
    shipments = [(f"S{100 + i}", rng.choice(codes), rng.randrange(3, 80)) for i in range(7)]
    target_town = rng.choice(towns)
    target_code = codes[towns.index(target_town)]
    mine = [s for s in shipments if s[1] == target_code]
    if len(mine) < 2:
        return _shipments(rng)
    cancelled = rng.choice(mine)[0]
    table = "\n".join(f"{code} is in {town}" for code, town in zip(codes, towns, strict=True))
    log = "\n".join(f"{sid}: {boxes} boxes from {code}" for sid, code, boxes in shipments)
    memo = f"Memo: shipment {cancelled} was cancelled and never left the warehouse."
    plain = float(sum(b for _, c, b in mine))
    total = float(sum(b for s, c, b in mine if s != cancelled))
    sources = (
        f"Source 1 (warehouses):\n{table}\n\nSource 2 (shipping log):\n{log}\n\nSource 3 ({memo})"
    )
    question = f"How many boxes actually left the warehouse in {target_town}?"
    return sources, question, "number of boxes", total, plain, "joined on warehouse code"


_TEMPLATES: tuple[tuple[str, Callable[[random.Random], Built]], ...] = (
    ("orders", _orders),
    ("timesheets", _timesheets),
    ("shipments", _shipments),
)


def _build(index: int, rng: random.Random, knobs: dict[str, int]) -> Item:
    name, template = rng.choice(_TEMPLATES)
    sources, question, hint, answer, wrong, working = template(rng)
    return Item(
        id=gen_id("fuse", VERSION, index),
        prompt=question_prompt(_INTRO, sources, question, hint),
        reference=f"Working: {working}.\n\nANSWER: {_fmt(answer)}",
        near_miss=f"Working: {working}.\n\nANSWER: {_fmt(wrong)}",
        score=exact_number(round(answer, 2), unit="usd" if "dollars" in hint else None),
        bank=GEN_BANK,
        bank_version=VERSION,
        family=f"fuse-g{VERSION}:{name}",
    )


GENERATOR = Generator(harness_id=CORE.id, prefix="fuse", version=VERSION, build=_build)
