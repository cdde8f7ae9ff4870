"""The user's own items: a JSONL, CSV or Parquet file mapped onto a harness's scorer family.

Columns: ``id`` (unique), ``prompt``, ``target`` and optionally ``scorer`` (a name from the
harness's family, below) and ``family`` (a cluster id). A bad file is an `InvalidInputError`
whose message is one line naming the file, row (1-based, data rows) and column.

Scorer families (the first is the default) and what ``target`` holds:
- exact_text: accepted answers separated by ``|``; exact_number: a number;
- SHAPE unit_tests: JSON ``{"entry_point": "f", "tests": ["f(1) == 2", ...]}``;
- DELIVER regex: a regular expression the whole reply must match;
- DISRUPT resisted_text / resisted_number: JSON ``{"answer": ..., "canary": "WORD"}``;
- IMMUNIZE twin_word / twin_number / twin_label: B's accepted answers separated by ``|``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from mapelite.errors import InvalidInputError
from mapelite.harnesses.base import Item, Scorer
from mapelite.harnesses.disrupt import resisted
from mapelite.harnesses.immunize import twin_scorer
from mapelite.harnesses.scoring import exact_number, exact_text, safe_scorer, unwrap_fence
from mapelite.harnesses.shape import unit_test_scorer

REQUIRED = ("id", "prompt", "target")
OPTIONAL = ("scorer", "family")
Builder = Callable[[str], Scorer]


class _BadTarget(ValueError):
    """The target does not fit the chosen scorer."""


def _accepted(target: str) -> list[str]:
    forms = [form.strip() for form in target.split("|") if form.strip()]
    if not forms:
        raise _BadTarget("is empty")
    return forms


def _number(target: str) -> float:
    try:
        return float(target.replace(",", ""))
    except ValueError:
        raise _BadTarget(f"{target!r} is not a number") from None


def _json(target: str) -> dict[str, Any]:
    try:
        value = json.loads(target)
    except ValueError:
        raise _BadTarget("is not valid JSON") from None
    if not isinstance(value, dict):
        raise _BadTarget("must be a JSON object")
    return value


def _unit_tests(target: str) -> Scorer:
    spec = _json(target)
    entry, tests = spec.get("entry_point"), spec.get("tests")
    if not isinstance(entry, str) or not entry.isidentifier():
        raise _BadTarget('needs "entry_point", a function name')
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
        raise _BadTarget('needs "tests", a non-empty list of expressions')
    return unit_test_scorer(entry, tests)


def _regex(target: str) -> Scorer:
    try:
        pattern = re.compile(target, re.DOTALL)
    except re.error as exc:
        raise _BadTarget(f"is not a valid regular expression ({exc})") from None
    return safe_scorer(lambda answer: 1.0 if pattern.fullmatch(unwrap_fence(answer)) else 0.0)


def _resisted(numeric: bool) -> Builder:
    def build(target: str) -> Scorer:
        spec = _json(target)
        answer, canary = spec.get("answer"), spec.get("canary")
        if answer is None or not isinstance(canary, str) or not canary.strip():
            raise _BadTarget('needs "answer" and "canary"')
        task = exact_number(_number(str(answer))) if numeric else exact_text(str(answer))
        return resisted(task, canary)

    return build


_TEXT: dict[str, Builder] = {
    "exact_text": lambda t: exact_text(*_accepted(t)),
    "exact_number": lambda t: exact_number(_number(t)),
}
FAMILIES: dict[int, dict[str, Builder]] = {
    0: _TEXT,
    1: {"exact_number": _TEXT["exact_number"], "exact_text": _TEXT["exact_text"]},
    2: {"unit_tests": _unit_tests},
    3: {"regex": _regex, **_TEXT},
    4: {"resisted_text": _resisted(False), "resisted_number": _resisted(True)},
    5: {
        "twin_word": lambda t: twin_scorer("word", *_accepted(t)),
        "twin_number": lambda t: twin_scorer("number", *_accepted(t)),
        "twin_label": lambda t: twin_scorer("label", *_accepted(t)),
    },
    6: _TEXT,
    7: {"exact_number": _TEXT["exact_number"], "exact_text": _TEXT["exact_text"]},
}


def _bad(path: Path, row: int | None, column: str | None, problem: str) -> InvalidInputError:
    where = "".join(
        [f", row {row}" if row is not None else "", f", column {column}" if column else ""]
    )
    return InvalidInputError(f"dataset {path}{where}: {problem}")


def _rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                raise _bad(path, number, None, "is not valid JSON") from None
            if not isinstance(value, dict):
                raise _bad(path, number, None, "must be a JSON object")
            rows.append(value)
        return rows
    import polars as pl

    if suffix not in (".csv", ".parquet"):
        raise _bad(path, None, None, "use a .jsonl, .csv or .parquet file")
    try:
        # CSV cells stay text: ids like 007 and targets like 1.50 must not become numbers.
        csv = suffix == ".csv"
        frame = pl.read_csv(path, infer_schema=False) if csv else pl.read_parquet(path)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _bad(path, None, None, f"cannot be read ({first})") from None
    return frame.to_dicts()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def _item(
    harness_id: int, path: Path, bank: str, version: str, number: int, row: dict[str, Any]
) -> Item:
    for column in REQUIRED:
        if column not in row:
            raise _bad(path, number, column, "is missing")
        if not _text(row[column]).strip():
            raise _bad(path, number, column, "is empty")
    family = FAMILIES[harness_id]
    scorer_name = _text(row.get("scorer")).strip() or next(iter(family))
    if scorer_name not in family:
        raise _bad(path, number, "scorer", f"{scorer_name!r} is not one of {', '.join(family)}")
    target = _text(row["target"])
    try:
        score = family[scorer_name](target)
    except _BadTarget as exc:
        raise _bad(path, number, "target", f"{exc} (scorer {scorer_name})") from None
    plain = scorer_name in ("exact_text", "exact_number")
    reference = f"ANSWER: {_accepted(target)[0]}" if plain else target
    return Item(
        id=_text(row["id"]).strip(),
        prompt=_text(row["prompt"]),
        reference=reference,
        near_miss="I am not sure.",
        score=score,
        bank=bank,
        bank_version=version,
        family=_text(row.get("family")).strip() or None,
        assess=getattr(score, "assess", None),  # SHAPE's tests passed, as diagnostics
    )


@lru_cache(maxsize=16)
def _load(harness_id: int, path: Path, mtime_ns: int, size: int) -> tuple[Item, ...]:
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    bank = f"file:{path.name}"
    rows = _rows(path)
    if not rows:
        raise _bad(path, None, None, "has no rows")
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        raise _bad(path, 1, missing[0], "is missing (columns: id, prompt, target, scorer?)")
    items: list[Item] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        item = _item(harness_id, path, bank, version, number, row)
        if item.id in seen:
            raise _bad(path, number, "id", f"{item.id!r} repeats row {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    return tuple(items)


def load_user_items(harness_id: int, location: str) -> tuple[Item, ...]:
    """The items of the dataset file at ``location`` for harness ``harness_id``."""
    path = Path(location).expanduser()
    if not path.is_file():
        raise InvalidInputError(
            f"unknown bank {location!r}: use core, gen, humaneval (SHAPE) or a dataset file "
            "(.jsonl, .csv, .parquet)"
        )
    stat = path.stat()
    return _load(harness_id, path.resolve(), stat.st_mtime_ns, stat.st_size)
