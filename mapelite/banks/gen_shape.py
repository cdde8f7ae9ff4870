"""SHAPE generator: parameterised function tasks whose hidden tests come from a reference.

Each family is a small specification with drawn parameters (a divisor, a shift, coefficients,
a letter set...), a reference implementation and a plausibly buggy one written with the same
parameters. The hidden tests are the reference's outputs on drawn inputs, computed here from
our own reference source (trusted code); inputs are redrawn until the buggy version fails at
least one of them, so every near miss scores below 1.0.

After those tests come edge tests (EvalPlus-style augmentation): per family, the inputs its
specification names or implies - each bound and limit itself and one past it, magnitudes up to
10**12 and negatives far beyond any bound, duplicates, empty and long inputs, n = 0 and 1,
digits, newlines and non-ASCII letters in text - drawn from a random stream of their own
(``_edge_rng``), so the stream that draws an item's family, prompt and first tests is
consumed exactly as before: prompts, ids and those tests are unchanged, and the bank version
with them.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapelite.banks.common import GEN_BANK, Generator, gen_id, seeded_rng
from mapelite.harnesses.base import Item
from mapelite.harnesses.shape import HARNESS as CORE
from mapelite.harnesses.shape import unit_test_scorer

VERSION = "2"
"""2: scored pass@1 (1 scored the fraction of tests passed)."""
_TESTS = 6
_MAX_DRAWS = 40
_BIG = 10**12
# Letters outside ASCII whose lower() and casefold() agree and never give an ASCII letter
# (not "ß", "İ", "ı", "ſ" or the Kelvin sign), so no reading of "letter" or "case" is favoured.
_NON_ASCII = "éüñøçÄÖÉÑαЖ"

Edges = Callable[[random.Random], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class _Task:
    family: str
    name: str
    signature: str
    specification: str
    reference: str
    buggy: str
    draw_args: Callable[[random.Random], tuple[Any, ...]]
    edges: Edges
    """The family's edge inputs, drawn from the item's edge stream (never its main one)."""


def _ints(rng: random.Random, low: int = -30, high: int = 60, size: int = 8) -> list[int]:
    return [rng.randint(low, high) for _ in range(rng.randint(0, size))]


def _text(rng: random.Random, letters: str, size: int, non_ascii: str = _NON_ASCII) -> str:
    """Up to ``size`` characters: ``letters``, digits, spaces, newlines, punctuation, non-ASCII."""
    pool = letters + string.digits + " \n\t_.,!?'-" + non_ascii
    return "".join(rng.choice(pool) for _ in range(rng.randint(size // 2, size)))


def _words(rng: random.Random) -> str:
    letters = string.ascii_letters
    return " ".join(
        "".join(rng.choice(letters) for _ in range(rng.randint(1, 9)))
        for _ in range(rng.randint(1, 8))
    )


def _poly(rng: random.Random) -> _Task:
    a, b, c = (rng.choice([n for n in range(-9, 10) if n]) for _ in range(3))
    return _Task(
        "poly",
        "poly_value",
        "poly_value(x: int) -> int",
        f"returns {a}*x**2 + {b}*x + {c} for the integer x.",
        f"def poly_value(x: int) -> int:\n    return {a} * x * x + {b} * x + {c}\n",
        f"def poly_value(x: int) -> int:\n    return {a} * x * x + {b} * x\n",
        lambda r: (r.randint(-20, 20),),
        # Large |x|: the value is exact in integers, not in floats (2**53 is about 9e15).
        lambda r: [
            (x,) for x in (0, 1, -1, _BIG, -_BIG, r.randint(-_BIG, _BIG), r.randint(2**27, 2**40))
        ],
    )


def _fizz(rng: random.Random) -> _Task:
    a, b = rng.sample(range(2, 10), 2)
    one, two = rng.sample(["Fizz", "Buzz", "Zap", "Pop", "Bing", "Wham", "Tick", "Tock"], 2)
    reference = (
        "def word_game(n: int) -> list[str]:\n    out = []\n    for i in range(1, n + 1):\n"
        f"        if i % {a} == 0 and i % {b} == 0:\n            out.append('{one}{two}')\n"
        f"        elif i % {a} == 0:\n            out.append('{one}')\n"
        f"        elif i % {b} == 0:\n            out.append('{two}')\n"
        "        else:\n            out.append(str(i))\n    return out\n"
    )
    buggy = (  # the combined case is checked last, so it never wins
        "def word_game(n: int) -> list[str]:\n    out = []\n    for i in range(1, n + 1):\n"
        f"        if i % {a} == 0:\n            out.append('{one}')\n"
        f"        elif i % {b} == 0:\n            out.append('{two}')\n"
        f"        elif i % {a} == 0 and i % {b} == 0:\n            out.append('{one}{two}')\n"
        "        else:\n            out.append(str(i))\n    return out\n"
    )
    return _Task(
        "word-game",
        "word_game",
        "word_game(n: int) -> list[str]",
        f"returns the strings for 1..n where multiples of both {a} and {b} become "
        f"'{one}{two}', other multiples of {a} become '{one}', other multiples of {b} become "
        f"'{two}', and every other number is its decimal string.",
        reference,
        buggy,
        lambda r: (r.randint(a * b, a * b + 30),),
        # "1..n": none for 0; the first multiple of each and of both; a long run.
        lambda r: [(n,) for n in (0, 1, a, b, math.lcm(a, b), r.randint(200, 400))],
    )


def _letters(rng: random.Random) -> _Task:
    chosen = "".join(sorted(rng.sample(string.ascii_lowercase, rng.randint(2, 4))))
    return _Task(
        "count-letters",
        "count_letters",
        "count_letters(text: str) -> int",
        f"returns how many characters of the text are one of the letters {', '.join(chosen)}, "
        "ignoring case.",
        "def count_letters(text: str) -> int:\n"
        f"    return sum(1 for ch in text.lower() if ch in {chosen!r})\n",
        "def count_letters(text: str) -> int:\n"
        f"    return sum(1 for ch in text if ch in {chosen!r})\n",
        lambda r: (_words(r) + " " + "".join(r.choice(chosen.upper() + chosen) for _ in range(4)),),
        lambda r: [
            ("",),
            (chosen.upper(),),
            (chosen + "\n" + chosen.upper() + "\t1" + chosen + ".",),
            (
                "".join(
                    ch for ch in string.ascii_letters + string.digits if ch.lower() not in chosen
                ),
            ),
            (_NON_ASCII + " " + _NON_ASCII.upper(),),
            (_text(r, chosen + chosen.upper(), 60),),
            (_text(r, string.ascii_letters, 3000),),
        ],
    )


def _clamp(rng: random.Random) -> _Task:
    low, high = rng.randint(-40, 0), rng.randint(1, 90)
    return _Task(
        "clamp",
        "clamp_all",
        "clamp_all(values: list[int]) -> list[int]",
        f"returns the values in order, each raised to {low} if it is below {low} and lowered "
        f"to {high} if it is above {high}.",
        f"def clamp_all(values: list[int]) -> list[int]:\n"
        f"    return [max({low}, min({high}, v)) for v in values]\n",
        "def clamp_all(values: list[int]) -> list[int]:\n"
        f"    return [min({high}, v) for v in values]\n",
        lambda r: ([*_ints(r, low - 20, high + 20), low - 1],),
        lambda r: [
            ([],),
            ([low, high],),
            ([low - 1, high + 1, low + 1, high - 1],),
            ([_BIG, -_BIG, r.randint(-_BIG, _BIG)],),
            ([high + 5] * 3 + [low - 5] * 3,),
            ([r.randint(low - 10**6, high + 10**6) for _ in range(300)],),
        ],
    )


def _multiples(rng: random.Random) -> _Task:
    k, cap = rng.randint(2, 12), rng.randint(20, 200)
    return _Task(
        "sum-multiples",
        "sum_multiples",
        "sum_multiples(values: list[int]) -> int",
        f"returns the sum of the values that are divisible by {k} and not greater than {cap} "
        "(negative values count too).",
        f"def sum_multiples(values: list[int]) -> int:\n"
        f"    return sum(v for v in values if v % {k} == 0 and v <= {cap})\n",
        f"def sum_multiples(values: list[int]) -> int:\n"
        f"    return sum(v for v in values if v % {k} == 0 and 0 < v <= {cap})\n",
        lambda r: ([*_ints(r, -cap, cap + 30), -k * r.randint(1, 5)],),
        # The bound itself, the largest multiple under it and the first one past it; negatives
        # far below -cap (any size counts); duplicates, each counted; no values at all.
        lambda r: [
            ([],),
            ([cap],),
            ([cap - cap % k, cap - cap % k + k],),
            ([-k * r.randint(10**6, _BIG // k)],),
            ([-k * r.randint(cap, 10 * cap), -(k * r.randint(cap, 10 * cap) + 1)],),
            ([k * r.randint(1, cap // k)] * 3 + [0, 0],),
            ([r.randint(-_BIG, _BIG) for _ in range(5)] + [k * r.randint(cap, 10**6)],),
            ([r.randint(-(10**6), 10**6) for _ in range(300)] + [-k * 10**6],),
        ],
    )


def _recurrence(rng: random.Random) -> _Task:
    a, b = rng.randint(0, 5), rng.randint(1, 6)
    p, q = rng.randint(1, 3), rng.randint(1, 3)
    reference = (
        "def sequence_term(n: int) -> int:\n"
        f"    prev, cur = {a}, {b}\n    if n == 0:\n        return prev\n"
        f"    for _ in range(n - 1):\n        prev, cur = cur, {p} * cur + {q} * prev\n"
        "    return cur\n"
    )
    buggy = reference.replace("range(n - 1)", "range(n)")
    return _Task(
        "recurrence",
        "sequence_term",
        "sequence_term(n: int) -> int",
        f"returns term n (n >= 0) of the sequence with term 0 = {a}, term 1 = {b} and every "
        f"later term = {p} times the term before plus {q} times the term two before.",
        reference,
        buggy,
        lambda r: (r.randint(0, 15),),
        # n = 0, 1, 2, 3 every time (the draws above may miss them) and one larger n, kept
        # small enough that plain recursion, right but slow, still answers in time.
        lambda r: [(n,) for n in (0, 1, 2, 3, r.randint(16, 20))],
    )


def _every_kth(rng: random.Random) -> _Task:
    start, step = rng.randint(0, 4), rng.randint(2, 6)
    return _Task(
        "every-kth",
        "every_kth",
        "every_kth(values: list[int]) -> list[int]",
        f"returns the values at positions {start}, {start + step}, {start + 2 * step}, ... "
        "(0-based), in order.",
        f"def every_kth(values: list[int]) -> list[int]:\n    return values[{start}::{step}]\n",
        f"def every_kth(values: list[int]) -> list[int]:\n    return values[{start + 1}::{step}]\n",
        lambda r: ([r.randint(0, 99) for _ in range(r.randint(start + 2, 20))],),
        # Lists too short to reach position {start}, just reaching it, reaching the next one.
        lambda r: (
            [
                ([r.randint(-9, 9) for _ in range(size)],)
                for size in (0, start, start + 1, start + step, start + step + 1, 500)
            ]
            + [([7] * (start + 2 * step + 1),)]
        ),
    )


def _caesar(rng: random.Random) -> _Task:
    shift = rng.randint(1, 25)
    reference = (
        "def shift_letters(text: str) -> str:\n    out = []\n    for ch in text:\n"
        "        if ch.islower():\n"
        f"            out.append(chr((ord(ch) - 97 + {shift}) % 26 + 97))\n"
        "        elif ch.isupper():\n"
        f"            out.append(chr((ord(ch) - 65 + {shift}) % 26 + 65))\n"
        "        else:\n            out.append(ch)\n    return ''.join(out)\n"
    )
    buggy = reference.replace(f"(ord(ch) - 97 + {shift}) % 26 + 97", f"ord(ch) + {shift}")
    return _Task(
        "caesar",
        "shift_letters",
        "shift_letters(text: str) -> str",
        f"shifts every ASCII letter {shift} places forward in the alphabet, wrapping from z to "
        "a and keeping its case; other characters stay as they are.",
        reference,
        buggy,
        lambda r: (_words(r) + " xyz!",),
        # Every letter and its wrap, digits, newlines and punctuation (which stay), an empty
        # text, a long one. ASCII only: the reference shifts any str.islower() letter, and the
        # labelled sets call it right, so letters outside ASCII are left untested here.
        lambda r: [
            ("",),
            (string.ascii_lowercase + string.ascii_uppercase,),
            ("zZ aA\n123 _-!?",),
            (_text(r, string.ascii_letters, 80, non_ascii=""),),
            (_text(r, string.ascii_letters, 3000, non_ascii=""),),
        ],
    )


_FAMILIES = (_poly, _fizz, _letters, _clamp, _multiples, _recurrence, _every_kth, _caesar)


def _run(source: str, name: str, args: tuple[Any, ...]) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{name}>", "exec"), namespace)  # our own reference code only
    return namespace[name](*args)


def _tests(task: _Task, rng: random.Random) -> list[str]:
    tests: list[str] = []
    caught = False
    for _ in range(_MAX_DRAWS):
        args = task.draw_args(rng)
        expected = _run(task.reference, task.name, args)
        call = f"{task.name}({', '.join(repr(arg) for arg in args)})"
        test = f"{call} == {expected!r}"
        if test in tests:
            continue
        wrong = _run(task.buggy, task.name, args) != expected
        if len(tests) < _TESTS - 1 or caught or wrong:
            tests.append(test)
            caught = caught or wrong
        if len(tests) >= _TESTS and caught:
            return tests
    raise RuntimeError(f"no test separates the near miss of {task.family}")  # a generator bug


def _edge_rng(index: int) -> random.Random:
    """The edge inputs' own stream: drawing from it leaves the item's main stream untouched."""
    return seeded_rng("shape", VERSION, "edges", index)


def _edge_tests(task: _Task, rng: random.Random, tests: list[str]) -> list[str]:
    """``tests`` followed by the family's edge tests (expected values from the reference)."""
    namespace: dict[str, Any] = {}
    exec(compile(task.reference, f"<{task.name}>", "exec"), namespace)  # our own code only
    reference = namespace[task.name]
    out = list(tests)
    for args in task.edges(rng):
        test = f"{task.name}({', '.join(repr(arg) for arg in args)}) == {reference(*args)!r}"
        if test not in out:
            out.append(test)
    return out


def _reply(code: str) -> str:
    return f"Here is the function:\n\n```python\n{code.rstrip()}\n```"


def _build(index: int, rng: random.Random, knobs: dict[str, int]) -> Item:
    task = rng.choice(_FAMILIES)(rng)
    prompt = (
        f"Write a Python function `{task.signature}` that {task.specification}\n\n"
        "Use only the Python standard library. Reply with the complete function in a single "
        "```python code block."
    )
    tests = _edge_tests(task, _edge_rng(index), _tests(task, rng))
    scorer = unit_test_scorer(task.name, tests)
    return Item(
        id=gen_id("shape", VERSION, index),
        prompt=prompt,
        reference=_reply(task.reference),
        near_miss=_reply(task.buggy),
        score=scorer,
        assess=scorer.assess,
        bank=GEN_BANK,
        bank_version=VERSION,
        family=f"shape-g{VERSION}:{task.family}",
    )


GENERATOR = Generator(harness_id=CORE.id, prefix="shape", version=VERSION, build=_build)
