"""SHAPE agrees with hand-labelled adversarial answers (tests/data/adversarial/SHAPE.jsonl).

The file uses the shared adversarial format (``label``: pass = 1.0, fail = below 1.0, zero =
0.0); for SHAPE each ``why`` also starts with ``expect k/n``, the share of the item's hidden
tests the reply should pass, worked out by hand before the scorer ran. The score is pass@1
(1 only when k = n); k/n is checked against the diagnostics the scorer records.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

from mapelite.harnesses.shape import ITEMS

DATA = Path(__file__).parent / "data" / "adversarial" / "SHAPE.jsonl"
LEAST_AGREEMENT = 0.95
ASSESSORS = {item.id: item.assessed for item in ITEMS}


def rows() -> list[dict[str, str]]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]


def label_agrees(label: str, score: float) -> bool:
    if label == "pass":
        return score >= 1.0 - 1e-9
    if label == "zero":
        return score <= 1e-9
    return score < 1.0 - 1e-9


def expected_fraction(why: str) -> Fraction:
    match = re.match(r"expect (\d+)/(\d+):", why)
    assert match, why
    return Fraction(int(match[1]), int(match[2]))


def _passed_share(diagnostics: dict[str, int] | None) -> Fraction:
    if not diagnostics or not diagnostics.get("tests"):
        return Fraction(0)
    return Fraction(diagnostics["tests_passed"], diagnostics["tests"])


def test_shape_answers_agree_with_their_labels_and_expected_fractions():
    labelled = rows()
    assert len(labelled) >= 30
    assert {"pass", "fail", "zero"} <= {row["label"] for row in labelled}
    assert DATA.read_text(encoding="utf-8").startswith("# Labelling rule")
    with ThreadPoolExecutor(max_workers=4) as pool:
        assessed = list(pool.map(lambda row: ASSESSORS[row["item"]](row["answer"]), labelled))
    scores = [a.score for a in assessed]
    by_label = [label_agrees(r["label"], s) for r, s in zip(labelled, scores, strict=True)]
    by_fraction = [
        _passed_share(a.diagnostics) == expected_fraction(r["why"])
        and (s == 1.0) == (expected_fraction(r["why"]) == 1)
        for r, s, a in zip(labelled, scores, assessed, strict=True)
    ]
    shown = "\n".join(
        f"{r['item']} [{r['label']}, {r['why'][:40]}] scored {s:.3f}"
        for r, s, ok, exact in zip(labelled, scores, by_label, by_fraction, strict=True)
        if not (ok and exact)
    )
    print(
        f"SHAPE agreement: labels {sum(by_label)}/{len(labelled)}, fractions "
        f"{sum(by_fraction)}/{len(labelled)}\n{shown}"
    )
    assert sum(by_label) / len(labelled) >= LEAST_AGREEMENT, shown
    assert sum(by_fraction) / len(labelled) >= LEAST_AGREEMENT, shown
