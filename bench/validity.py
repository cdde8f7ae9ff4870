"""`python -m bench.validity` (`make validity`): how often the scorers agree with labels.

Labelled sets, one file per harness in each (adding a harness is adding a file):
``tests/data/adversarial/`` (hand-written answers to the curated items),
``tests/data/validity/`` (answers to generated items of several seeds),
``tests/data/validity/freeform/`` (free-form answers to curated and generated items),
``tests/data/validity/heldout/`` (a batch on a seed no other set uses, run once) and
``tests/data/validity/blind<N>/`` (answers to curated items and to generated items of a seed
of their own, written and labelled by graders who never saw the scorers or these sets). Each
answer is scored with its item's scorer; the report prints, per set and harness: answers, agreement,
false passes (labelled wrong, scored 1.0) and false fails (labelled right, scored below 1.0).
``--show`` lists every disagreement. Then the property sweep (``bench.validity_forms``): the
reference answer in every accepted form scores 1 and its near miss below 1 (0 where the score
is all or nothing) on 1,000 generated items per harness, SHAPE's through the sandbox. Exit
status 1 when a harness of a gated set (``GATED``) is below ``--min`` agreement or the sweep
finds a failure; the newest blind set is reported, never a gate.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from mapelite.harnesses.base import Item

DATA_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "adversarial"
GENERATED_DIR = DATA_DIR.parent / "validity"
HELDOUT_DIR = GENERATED_DIR / "heldout"
FREEFORM_DIR = GENERATED_DIR / "freeform"
BLIND_DIRS = sorted(
    (path for path in GENERATED_DIR.glob("blind*") if path.is_dir() and path.name[5:].isdigit()),
    key=lambda path: int(path.name[5:]),
)
SETS = (
    ("curated", DATA_DIR),
    ("generated", GENERATED_DIR),
    ("free-form", FREEFORM_DIR),
    ("held-out", HELDOUT_DIR),
    *((f"blind {path.name[5:]}", path) for path in BLIND_DIRS),
)
GATED = tuple(name for name, _ in SETS[:-1]) if BLIND_DIRS else tuple(n for n, _ in SETS)
"""Sets whose agreement per harness must reach ``--min``; the newest blind set is measured,
reported as it comes out, and is no gate (a gate would invite fitting the scorers to it)."""
_GEN_ID = re.compile(
    r"^(?P<prefix>[a-z]+)-g(?P<version>\w+?)(?:-(?P<knob>[a-z])(?P<value>\d+))?-(?P<index>\d{6})$"
)
_KNOBS = {"t": "context_tokens", "s": "steps", "n": "instructions"}


class LabelledAnswer(BaseModel):
    """One hand-labelled reply: ``pass`` = scores 1.0, ``fail`` = below 1.0, ``zero`` = 0.0."""

    model_config = ConfigDict(extra="forbid")

    item: str
    answer: str
    label: Literal["pass", "fail", "zero"]
    why: str = ""

    def agrees(self, score: float) -> bool:
        if self.label == "pass":
            return score >= 1.0 - 1e-9
        if self.label == "zero":
            return score <= 1e-9
        return score < 1.0 - 1e-9


@dataclass
class HarnessAgreement:
    harness: str
    total: int = 0
    agreed: int = 0
    false_passes: int = 0
    false_fails: int = 0
    disagreements: list[tuple[LabelledAnswer, float]] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        return self.agreed / self.total if self.total else 0.0

    def add(self, row: LabelledAnswer, score: float) -> None:
        self.total += 1
        if row.agrees(score):
            self.agreed += 1
            return
        self.disagreements.append((row, score))
        if row.label == "pass":
            self.false_fails += 1
        else:
            self.false_passes += 1


def load_rows(path: Path) -> list[LabelledAnswer]:
    """The labelled answers of one file; ``#`` lines are comments."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            rows.append(LabelledAnswer.model_validate_json(line))
        except (ValidationError, json.JSONDecodeError) as error:
            raise ValueError(f"{path.name}:{number}: not a labelled answer ({error})") from None
    return rows


def harness_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(data_dir.glob("*.jsonl"))


def measure(path: Path, scorer_for: Callable[[str], Callable[[str], float]]) -> HarnessAgreement:
    result = HarnessAgreement(harness=path.stem.upper())
    for row in load_rows(path):
        result.add(row, scorer_for(row.item)(row.answer))
    return result


def item_scorer(item_id: str) -> Callable[[str], float]:
    """The scorer of an item, found by id: a curated item, or a generated one
    (``sense-g2-000042``, ``store-g2-t4000-000042``: prefix, version, knob, index)."""
    return _item(item_id).score


@lru_cache(maxsize=4096)
def _item(item_id: str) -> Item:
    from mapelite.banks.registry import GENERATORS
    from mapelite.harnesses import HARNESSES

    for harness in HARNESSES.values():
        for item in harness.items:
            if item.id == item_id:
                return item
    match = _GEN_ID.match(item_id)
    generator = next(
        (g for g in GENERATORS.values() if match and g.prefix == match["prefix"]), None
    )
    if match is None or generator is None:
        raise ValueError(f"no item {item_id!r}")
    if match["version"] != generator.version:
        raise ValueError(f"{item_id!r} is from version {match['version']} of its bank")
    knobs = {_KNOBS[match["knob"]]: int(match["value"])} if match["knob"] else {}
    item = generator.item(int(match["index"]), knobs)
    if item.id != item_id:
        raise ValueError(f"no item {item_id!r} (index {match['index']} is {item.id})")
    return item


def measure_all(paths: Iterable[Path]) -> list[HarnessAgreement]:
    return [measure(path, item_scorer) for path in paths]


def format_table(results: list[HarnessAgreement]) -> str:
    lines = [
        "| harness | answers | agreement | false passes | false fails |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.harness} | {r.total} | {r.agreement:.1%} | {r.false_passes} | {r.false_fails} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validity", description=__doc__)
    parser.add_argument("--min", type=float, default=0.97, help="least agreement per harness")
    parser.add_argument("--show", action="store_true", help="list every disagreement")
    parser.add_argument("--no-sweep", action="store_true", help="skip the 1,000-item sweep")
    parser.add_argument("--sweep-items", type=int, default=1000, help="items per harness")
    args = parser.parse_args(argv)
    below: list[str] = []
    for name, directory in SETS:
        try:
            results = measure_all(harness_files(directory))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        total = sum(r.total for r in results)
        agreed = sum(r.agreed for r in results)
        print(f"\n{name} ({directory.relative_to(DATA_DIR.parents[2])}): {agreed}/{total} agree")
        print(format_table(results))
        if args.show:
            for r in results:
                for row, score in r.disagreements:
                    print(
                        f"\n{r.harness} {row.item} label={row.label} score={score:.2f} ({row.why})"
                    )
                    print("  " + row.answer.replace("\n", "\n  "))
        if name in GATED:
            below += [f"{r.harness} ({name})" for r in results if r.agreement < args.min]
    failures = 0
    if not args.no_sweep:
        from bench.validity_forms import sweep

        failures = sweep(args.sweep_items)
    if below:
        print(f"\nbelow {args.min:.0%} agreement: {', '.join(below)}")
    return 1 if below or failures else 0


if __name__ == "__main__":
    sys.exit(main())
