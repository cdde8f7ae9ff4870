"""SHAPE agrees with hand-labelled adversarial answers (tests/data/adversarial/SHAPE.jsonl).

The file uses the shared adversarial format (``label``: pass = 1.0, fail = below 1.0, zero =
0.0); for SHAPE each ``why`` also starts with ``expect k/n``, the share of the item's
hand-written tests the reply should pass, worked out by hand before the scorer ran. The score
is pass@1 over every hidden test, the hand-written ones and the generated edge cases after them
(``shape_items``); k/n is checked against the hand-written cases alone, run in the sandbox.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

from mapelite.harnesses.forms import without_thinking
from mapelite.harnesses.shape import ITEMS, run_answer
from mapelite.harnesses.shape_items import SHAPE_TASKS

DATA = Path(__file__).parent / "data" / "adversarial" / "SHAPE.jsonl"
LEAST_AGREEMENT = 0.95
ASSESSORS = {item.id: item.assessed for item in ITEMS}
WRITTEN = {task.id: (task.function_name, task.written_tests) for task in SHAPE_TASKS}
CONTRADICTED = {
    ("shape-05", "expect 5/5: lists of two ints are acceptable intervals"): (
        "merge_intervals is asked to return the intervals 'as tuples': the blind set "
        "(tests/data/validity/blind1) labels lists inside as wrong, and scorer version 3 "
        "agrees; this row's label is kept as written and counted as a disagreement"
    ),
}
"""Rows a later labelling and the prompt contradict: reported, left out of the agreement
thresholds, and checked to still disagree (a row that agrees again leaves this list)."""


def contradicted(row: dict[str, str]) -> bool:
    return any(row["item"] == item and row["why"].startswith(why) for item, why in CONTRADICTED)


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


def written_share(row: dict[str, str]) -> Fraction:
    """The share of the item's hand-written cases the reply passes."""
    name, tests = WRITTEN[row["item"]]
    _, report = run_answer(without_thinking(row["answer"]), name, tests)
    if report is None or not report.total:
        return Fraction(0)
    return Fraction(report.passed, report.total)


def test_shape_answers_agree_with_their_labels_and_expected_fractions():
    labelled = rows()
    assert len(labelled) >= 30
    assert {"pass", "fail", "zero"} <= {row["label"] for row in labelled}
    assert DATA.read_text(encoding="utf-8").startswith("# Labelling rule")
    with ThreadPoolExecutor(max_workers=4) as pool:
        assessed = list(pool.map(lambda row: ASSESSORS[row["item"]](row["answer"]), labelled))
        shares = list(pool.map(written_share, labelled))
    scores = [a.score for a in assessed]
    by_label = [label_agrees(r["label"], s) for r, s in zip(labelled, scores, strict=True)]
    by_fraction = [
        share == expected_fraction(r["why"]) and (s == 1.0) == (expected_fraction(r["why"]) == 1)
        for r, s, share in zip(labelled, scores, shares, strict=True)
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
    kept = [not contradicted(r) for r in labelled]
    assert sum(kept) == len(labelled) - len(CONTRADICTED)
    assert not any(ok for ok, keep in zip(by_label, kept, strict=True) if not keep)
    assert sum(ok for ok, keep in zip(by_label, kept, strict=True) if keep) / sum(kept) >= (
        LEAST_AGREEMENT
    ), shown
    assert sum(ok for ok, keep in zip(by_fraction, kept, strict=True) if keep) / sum(kept) >= (
        LEAST_AGREEMENT
    ), shown
