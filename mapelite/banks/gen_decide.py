"""DECIDE generator: GSM-Symbolic-style word problems and brute-force-checked logic puzzles.

Word problems are templates whose names and numbers vary under validity conditions (whole
answers, positive quantities); "chain" problems apply 2–5 operations to a quantity, and the
``steps`` knob fixes that number for every item (the difficulty knob). Logic puzzles are
built from a hidden assignment plus clues; a puzzle is kept only when brute force over every
assignment finds exactly one that satisfies the clues (so its answer is unique), adding clues
until it does.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from mapelite.banks.common import FIRST_NAMES, GEN_BANK, THINGS, Generator, gen_id, pick
from mapelite.harnesses.base import Item, Scorer
from mapelite.harnesses.decide import HARNESS as CORE
from mapelite.harnesses.scoring import answer_form, exact_number, exact_text

VERSION = "2"
"""2: the shared answer grammar; prices asked in dollars, ages in years."""
Built = tuple[str, str, str, str, Scorer]
"""(problem, value hint, answer, near-miss answer, scorer)"""


def _boxes(rng: random.Random) -> Built:
    name = rng.choice(FIRST_NAMES)
    thing = rng.choice(THINGS)
    per_box = rng.randrange(4, 25)
    needed = rng.randrange(30, 600)
    if needed % per_box == 0:
        needed += rng.randrange(1, per_box)
    boxes = -(-needed // per_box)
    problem = (
        f"A shop sells {thing} only in boxes of {per_box}. {name} needs {needed} {thing} and "
        f"buys the smallest number of whole boxes that gives at least {needed}. How many boxes "
        f"does {name} buy?"
    )
    return problem, "number of boxes", str(boxes), str(boxes - 1), exact_number(boxes)


def _ages(rng: random.Random) -> Built:
    a, b = pick(rng, FIRST_NAMES, 2)
    gap = rng.randrange(1, 15)
    younger = rng.randrange(3, 50)
    later = rng.randrange(2, 20)
    total = 2 * younger + gap + 2 * later
    problem = (
        f"{a} is {gap} years older than {b}. In {later} years, the sum of their ages will be "
        f"{total}. How old is {a} now?"
    )
    return (
        problem,
        "age in years",
        str(younger + gap),
        str(younger),
        exact_number(younger + gap, unit="year", about=a),
    )


def _discount(rng: random.Random) -> Built:
    thing = rng.choice(THINGS)
    price = rng.randrange(8, 80) * 10
    down = rng.choice((10, 20, 25, 30, 40, 50))
    up = rng.choice((5, 10, 20, 25))
    final = price * (100 - down) * (100 + up) / 10_000
    naive = price * (100 - down + up) / 100
    problem = (
        f"A set of {thing} costs ${price}. It is discounted by {down}%, and then the "
        f"discounted price is raised by {up}%. What is the final price in dollars?"
    )
    if final == naive:
        return _discount(rng)
    return problem, "price in dollars", f"{final:g}", f"{naive:g}", exact_number(final, unit="usd")


def _savings(rng: random.Random) -> Built:
    name = rng.choice(FIRST_NAMES)
    start = rng.randrange(0, 200, 5)
    weekly = rng.randrange(5, 60)
    spend = rng.randrange(1, weekly)
    weeks = rng.randrange(3, 30)
    goal_weeks = weeks
    total = start + weeks * (weekly - spend)
    problem = (
        f"{name} has ${start} saved. Every week {name} earns ${weekly} and spends ${spend} of "
        f"it on snacks. How many dollars will {name} have after {goal_weeks} weeks?"
    )
    wrong = start + weeks * weekly
    return problem, "amount in dollars", str(total), str(wrong), exact_number(total, unit="usd")


def _trips(rng: random.Random) -> Built:
    people = rng.randrange(20, 400)
    seats = rng.randrange(5, 60)
    if people % seats == 0:
        people += 1
    trips = -(-people // seats)
    problem = (
        f"A ferry carries at most {seats} passengers per crossing. {people} passengers are "
        "waiting, and the ferry only sails when it has at least one passenger. How many "
        "crossings are needed to carry everyone across?"
    )
    return problem, "number of crossings", str(trips), str(people // seats), exact_number(trips)


Placing = dict[str, int]


def _before(first: str, second: str) -> Callable[[Placing], bool]:
    return lambda where: where[first] < where[second]


def _at(name: str, place: int) -> Callable[[Placing], bool]:
    return lambda where: where[name] == place


def _order_puzzle(rng: random.Random) -> Built:
    size = rng.choice((4, 5))
    names = pick(rng, FIRST_NAMES, size)
    hidden = list(names)
    rng.shuffle(hidden)  # hidden[i] finished in place i + 1
    place = {name: i for i, name in enumerate(hidden)}
    clues: list[tuple[str, Callable[[Placing], bool]]] = []

    def solutions() -> list[tuple[str, ...]]:
        found = []
        for order in itertools.permutations(names):
            where = {name: i for i, name in enumerate(order)}
            if all(check(where) for _, check in clues):
                found.append(order)
        return found

    while len(solutions()) != 1:
        a, b = rng.sample(names, 2)
        if rng.random() < 0.7:
            first, second = (a, b) if place[a] < place[b] else (b, a)
            text = f"{first} finished before {second}."
            clues.append((text, _before(first, second)))
        else:
            text = f"{a} finished in place {place[a] + 1}."
            clues.append((text, _at(a, place[a])))
    asked = rng.randrange(size)
    answer = hidden[asked]
    wrong = hidden[(asked + 1) % size]
    ordinal = ("first", "second", "third", "fourth", "fifth")[asked]
    problem = (
        f"{size} runners finished a race with no ties: {', '.join(sorted(names))}. "
        + " ".join(text for text, _ in clues)
        + f" Who finished {ordinal}?"
    )
    return problem, "name", answer, wrong, exact_text(answer)


def _chain(rng: random.Random, steps: int) -> Built:
    """DyVal-style: a quantity goes through ``steps`` operations; the answer is known by
    construction. The near miss forgets the last operation."""
    name, thing = rng.choice(FIRST_NAMES), rng.choice(THINGS)
    value = rng.randrange(6, 60)
    start, values, told = value, [value], []
    for _ in range(steps):
        choices = ["add", "remove", "double", "triple"]
        if value % 2 == 0:
            choices.append("half")
        if value % 3 == 0:
            choices.append("third")
        kind = rng.choice([c for c in choices if c not in ("double", "triple") or value < 5000])
        if kind == "add":
            amount = rng.randrange(2, 40)
            value, text = value + amount, f"{name} is given {amount} more"
        elif kind == "remove" and value > 3:
            amount = rng.randrange(1, value - 1)
            value, text = value - amount, f"{name} gives {amount} away"
        elif kind == "double":
            value, text = value * 2, f"{name} doubles the collection"
        elif kind == "triple" or kind == "remove":
            value, text = value * 3, f"{name} ends up with three times as many"
        elif kind == "half":
            value, text = value // 2, f"{name} gives half of them to a friend"
        else:
            value, text = value - value // 3, f"{name} sells a third of them"
        told.append(text)
        values.append(value)
    problem = (
        f"{name} starts with {start} {thing}. Then, in order: {'; '.join(told)}. "
        f"How many {thing} does {name} have at the end?"
    )
    answer, wrong = values[-1], values[-2]
    return problem, f"number of {thing}", str(answer), str(wrong), exact_number(answer)


_TEMPLATES: tuple[tuple[str, Callable[[random.Random], Built]], ...] = (
    ("boxes", _boxes),
    ("ages", _ages),
    ("discount", _discount),
    ("savings", _savings),
    ("trips", _trips),
    ("race-order", _order_puzzle),
    ("chain", lambda rng: _chain(rng, rng.randint(2, 5))),
)


def _build(index: int, rng: random.Random, knobs: dict[str, int]) -> Item:
    steps = knobs["steps"]
    if steps:
        name, (problem, hint, answer, wrong, score) = "chain", _chain(rng, steps)
    else:
        name, template = rng.choice(_TEMPLATES)
        problem, hint, answer, wrong, score = template(rng)
    prompt = f"Solve the problem step by step.\n\n{problem}\n\n{answer_form(hint)}"
    return Item(
        id=gen_id("decide", VERSION, index, knob=f"s{steps}" if steps else ""),
        prompt=prompt,
        reference=f"Working through the problem step by step.\n\nANSWER: {answer}",
        near_miss=f"Working through the problem step by step.\n\nANSWER: {wrong}",
        score=score,
        bank=GEN_BANK,
        bank_version=VERSION,
        family=f"decide-g{VERSION}:{name}",
    )


GENERATOR = Generator(
    harness_id=CORE.id,
    prefix="decide",
    version=VERSION,
    build=_build,
    knob_defaults=(("steps", 0),),
)
