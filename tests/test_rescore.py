"""``map-elite rescore``: a ledger written before a scorer change is scored again with today's
scorers. Exactly the affected scores change, no model is called, the chain still verifies,
profiles read the latest scoring and name its scorer version, a second rescore appends nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.app import run_app
from cli.main import build_app
from mapelite.harnesses.registry import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.schemas import HARNESS_NAMES, HarnessResult
from mapelite.stats.compare import resolve_side
from mapelite.testing.model_server import ModelServer
from profiles.rollup import build_report

MODEL = "openai/lab-model"
DECIDE = 7
CURRENT = get_harness(DECIDE).scorer_version
"""Today's DECIDE scorer version, which every rescored item records."""


def _entry(run_id: str, scores: list[float | None], answers: list[str]) -> HarnessResult:
    """A DECIDE run of MODEL over core items decide-01.. with the stored ``scores`` (None: the
    item's call failed) and ``answers``, as an older scorer (version "0") recorded them."""
    harness = get_harness(DECIDE)
    items = []
    for item, score, answer in zip(harness.items, scores, answers, strict=False):
        failed = score is None
        items.append(
            {
                "item_id": item.id,
                "answer": None if failed else answer,
                "score": 0.0 if failed else score,
                "error": "timed out after 3 retries" if failed else None,
                "scorer_version": None if failed else "0",
                "tokens_out": 12,
            }
        )
    scored = [s for s in scores if s is not None]
    return HarnessResult(
        harness_id=DECIDE,
        harness_name=HARNESS_NAMES[DECIDE],
        model=MODEL,
        scores={"raw": sum(scored), "normalized": sum(scored) / len(scored)},
        metadata={"run_id": run_id, "unit_key": f"{run_id}/s0/a0/h{DECIDE}", "items": items},
    )


@pytest.fixture
def before_the_change(mapelite_home: Path) -> tuple[Path, list[float]]:
    """A ledger whose first run holds two right answers that the old scorer gave 0 (items 1
    and 2); the rest were scored as today's scorer scores them. Returns the path and today's
    scores of the first run's items."""
    harness = get_harness(DECIDE)
    right = [i.reference for i in harness.items]
    wrong = [i.near_miss for i in harness.items]
    answers = [right[0], right[1], wrong[2], wrong[3], "", right[5]]
    today = [harness.items[i].score(answers[i]) for i in range(6)]
    assert today[0] == today[1] == 1.0 and today[2] < 1.0  # the scorers as they are now
    stored: list[float | None] = [0.0, 0.0, today[2], today[3], None, today[5]]
    path = mapelite_home / "ledger.jsonl"
    book = Ledger(path)
    book.append(_entry("r-old", stored, answers))
    book.append(_entry("r-fine", [today[i] for i in (0, 1, 2, 3)], answers[:4]))
    return path, today


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = run_app(build_app(), argv)
    return code, capsys.readouterr().out


def test_rescore_changes_exactly_the_affected_scores_without_a_call(
    before_the_change: tuple[Path, list[float]],
    model_server: ModelServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, today = before_the_change
    monkeypatch.setenv("MAPELITE_OPENAI_BASE_URL", model_server.base_url)
    originals = list(Ledger(path).read())

    code, out = _cli(["rescore", "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["items_changed"] == 2 and summary["entries_appended"] == 1
    assert summary["rescore_of"] == [originals[0].hash]
    assert model_server.total_stats().requests == 0  # no model call

    entries = list(Ledger(path).read())
    assert entries[:2] == originals  # nothing rewritten
    new = entries[2]
    assert new.metadata.rescore_of == originals[0].hash
    before, after = originals[0].metadata.items, new.metadata.items
    assert [a.score for a in after] == [today[0], today[1], today[2], today[3], 0.0, today[5]]
    changed = [b.item_id for b, a in zip(before, after, strict=True) if b.score != a.score]
    assert changed == ["decide-01", "decide-02"]
    assert after[4].error is not None and after[4].scorer_version is None  # errors stay errors
    assert {a.scorer_version for a in after if a.error is None} == {CURRENT}
    assert new.scores.raw == pytest.approx(sum(today[i] for i in (0, 1, 2, 3, 5)))

    code, out = _cli(["verify", str(path)], capsys)
    assert code == 0 and "chain intact" in out

    code, out = _cli(["rescore", "--json"], capsys)  # the same scorers again: nothing new
    assert code == 0 and json.loads(out)["entries_appended"] == 0
    assert len(list(Ledger(path).read())) == 3


def test_profiles_read_the_latest_scoring_and_name_its_scorer_version(
    before_the_change: tuple[Path, list[float]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, today = before_the_change
    stale = build_report(path).model(MODEL)
    assert stale is not None and stale.scorer_versions == ["0"]
    code, _ = _cli(["rescore", "--run", "r-old"], capsys)
    assert code == 0
    profile = build_report(path).model(MODEL)
    assert profile is not None and profile.harnesses[0].average is not None
    # Two runs: the rescored one (5 scored items) and the one that needed nothing (4).
    expected = sum(today[i] for i in (0, 1, 2, 3, 5)) + sum(today[i] for i in (0, 1, 2, 3))
    assert profile.harnesses[0].average.value == pytest.approx(round(expected / 9, 4), abs=1e-4)
    assert profile.harnesses[0].entries == 2  # the original is replaced, not counted twice
    # r-fine still holds the old scorer's marks
    assert profile.scorer_versions == ["0", CURRENT]
    code, out = _cli(["profile", MODEL], capsys)
    assert code == 0 and f"0, {CURRENT}" in out
    side, chosen = resolve_side(list(Ledger(path).read()), MODEL)  # compare's view
    assert side.entries == 2 and side.scorer_versions == ["0", CURRENT]
    assert [e.metadata.run_id for e in chosen] == ["r-fine", "r-old"]


def test_rescore_of_a_corrupt_ledger_is_one_line_and_appends_nothing(
    before_the_change: tuple[Path, list[float]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = before_the_change
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"r-fine"', b'"r-FINE"', 1))
    code = run_app(build_app(), ["rescore"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "nothing was rescored" in err
    assert path.read_bytes().count(b"\n") == 2
