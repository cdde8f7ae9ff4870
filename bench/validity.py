"""`python -m bench.validity` (`make validity`): how often the scorers agree with hand labels.

Reads every ``tests/data/adversarial/<HARNESS>.jsonl`` (one file per harness; adding a harness is
adding a file), scores each answer with its item's scorer and prints, per harness: answers,
agreement, false passes (labelled wrong, scored 1.0) and false fails (labelled right, scored
below 1.0). ``--show`` lists every disagreement. Exit status 1 when a harness is below
``--min`` agreement.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

DATA_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "adversarial"


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
    """The scorer of a core item, found by id across the suite."""
    from mapelite.harnesses import HARNESSES

    for harness in HARNESSES.values():
        for item in harness.items:
            if item.id == item_id:
                return item.score
    raise ValueError(f"no core item {item_id!r}")


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
    parser.add_argument("--min", type=float, default=0.95, help="least agreement per harness")
    parser.add_argument("--show", action="store_true", help="list every disagreement")
    args = parser.parse_args(argv)
    try:
        results = measure_all(harness_files())
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_table(results))
    if args.show:
        for r in results:
            for row, score in r.disagreements:
                print(f"\n{r.harness} {row.item} label={row.label} score={score:.2f} ({row.why})")
                print("  " + row.answer.replace("\n", "\n  "))
    below = [r.harness for r in results if r.agreement < args.min]
    if below:
        print(f"\nbelow {args.min:.0%} agreement: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
