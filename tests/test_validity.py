"""Scorers agree with hand-labelled adversarial answers (tests/data/adversarial/*.jsonl)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.validity import (
    BLIND_DIRS,
    GENERATED_DIR,
    HELDOUT_DIR,
    LabelledAnswer,
    harness_files,
    item_scorer,
    load_rows,
    main,
    measure,
    measure_all,
)
from mapelite.harnesses import HARNESSES

FILES = harness_files()
GENERATED = harness_files(GENERATED_DIR)
LEAST_AGREEMENT = 0.97
COVERED = {"SENSE", "FUSE", "DELIVER", "DISRUPT", "IMMUNIZE", "STORE", "DECIDE"}


def test_every_covered_harness_has_a_file_of_at_least_30_labelled_answers():
    counts = {path.stem.upper(): len(load_rows(path)) for path in FILES}
    assert set(counts) >= COVERED
    assert all(counts[name] >= 30 for name in COVERED)


def test_every_harness_has_40_labelled_answers_on_generated_items_of_several_seeds():
    names = {h.name for h in HARNESSES.values()}
    assert {path.stem for path in GENERATED} == names
    assert {path.stem for path in harness_files(HELDOUT_DIR)} == names
    for path in GENERATED:
        rows = load_rows(path)
        seeds = {row.why.split(",")[0] for row in rows}
        assert len(rows) >= 40 and len(seeds) >= 3, path.stem
        assert all("-g" in row.item for row in rows)  # generated items
        assert {"pass", "fail"} <= {row.label for row in rows}
    for path in harness_files(HELDOUT_DIR):
        rows = load_rows(path)
        assert len(rows) >= 10
        assert not {row.why.split(",")[0] for row in rows} & {"seed 1", "seed 2", "seed 3"}


@pytest.mark.parametrize("path", GENERATED, ids=lambda path: path.stem)
def test_scorers_agree_with_the_labels_on_generated_items_on_at_least_97_percent(path: Path):
    result = measure(path, item_scorer)
    shown = "\n".join(f"{row.item} [{row.label}] {row.answer!r}" for row, _ in result.disagreements)
    assert result.agreement >= LEAST_AGREEMENT, shown


def test_a_generated_item_is_found_by_its_id_and_a_stale_version_is_refused():
    from mapelite.banks.registry import sample_items

    item = sample_items(6, 1, 5, bank="gen")[0]
    assert item_scorer(item.id)(item.reference) == 1.0
    with pytest.raises(ValueError, match="version 1"):
        item_scorer(item.id.replace("-g2-", "-g1-"))


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_scorers_agree_with_the_labels_on_at_least_97_percent(path: Path):
    result = measure(path, item_scorer)
    shown = "\n".join(f"{row.item} [{row.label}] {row.answer!r}" for row, _ in result.disagreements)
    assert result.agreement >= LEAST_AGREEMENT, shown


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_labelled_answers_name_items_of_their_own_harness(path: Path):
    names = {h.name: {item.id for item in h.items} for h in HARNESSES.values()}
    own = names[path.stem.upper()]
    rows = load_rows(path)
    assert all(row.item in own for row in rows)
    assert {"pass", "fail"} <= {row.label for row in rows}  # both kinds of mistake are tested


def test_every_file_states_its_labelling_rule_first():
    for path in [*FILES, *GENERATED, *harness_files(HELDOUT_DIR)]:
        assert path.read_text(encoding="utf-8").startswith("# Labelling rule")


def test_a_zero_label_needs_a_score_of_exactly_zero():
    row = LabelledAnswer(item="deliver-01", answer="x", label="zero")
    assert row.agrees(0.0) and not row.agrees(0.25)


def test_disagreements_are_counted_as_false_passes_and_false_fails(tmp_path: Path):
    data = tmp_path / "SENSE.jsonl"
    data.write_text(
        "# Labelling rule: deliberately wrong labels\n"
        '{"item": "sense-01", "answer": "ANSWER: 1962", "label": "fail"}\n'
        '{"item": "sense-01", "answer": "ANSWER: 1968", "label": "pass"}\n'
        '{"item": "sense-01", "answer": "ANSWER: 1962", "label": "pass"}\n'
    )
    result = measure_all([data])[0]
    assert (result.total, result.false_passes, result.false_fails) == (3, 1, 1)


def test_a_malformed_line_is_one_clear_error(tmp_path: Path):
    data = tmp_path / "SENSE.jsonl"
    data.write_text('{"item": "sense-01", "answer": "x", "label": "maybe"}\n')
    with pytest.raises(ValueError, match=r"SENSE\.jsonl:1"):
        load_rows(data)


def test_the_report_prints_one_row_per_harness(capsys: pytest.CaptureFixture[str]):
    assert main(["--no-sweep"]) == 0
    printed = capsys.readouterr().out
    assert all(f"| {path.stem.upper()} |" in printed for path in FILES)
    assert "generated (" in printed and "held-out (" in printed


GATED_BLIND = [
    path for directory in BLIND_DIRS[:-1] for path in harness_files(directory)
]  # the newest blind set is measured and reported, never a gate


def test_every_blind_set_covers_every_harness_with_40_answers_labelled_by_a_stated_rule():
    names = {h.name for h in HARNESSES.values()}
    assert len(BLIND_DIRS) >= 2
    for directory in BLIND_DIRS:
        files = harness_files(directory)
        assert {path.stem for path in files} == names, directory.name
        for path in files:
            rows = load_rows(path)
            assert len(rows) >= 40, path
            assert {"pass", "fail"} <= {row.label for row in rows}
            assert path.read_text(encoding="utf-8").startswith("# Labelling rule")


@pytest.mark.parametrize("path", GATED_BLIND, ids=lambda path: f"{path.parent.name}-{path.stem}")
def test_scorers_agree_with_blind_graders_on_at_least_97_percent(path: Path):
    result = measure(path, item_scorer)
    shown = "\n".join(f"{row.item} [{row.label}] {row.answer!r}" for row, _ in result.disagreements)
    assert result.agreement >= LEAST_AGREEMENT, shown
