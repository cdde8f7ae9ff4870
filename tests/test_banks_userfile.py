"""The user's own datasets: JSONL, CSV and Parquet files become items; a bad file is one line
naming the row and the column."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from mapelite.banks import sample_items
from mapelite.errors import InvalidInputError

ROWS = [
    {"id": "q1", "prompt": "What is 6 times 7?", "target": "42", "scorer": "exact_number"},
    {"id": "q2", "prompt": "Capital of France?", "target": "Paris|Paris, France", "scorer": ""},
    {"id": "q3", "prompt": "Colour of the sky?", "target": "blue", "scorer": "exact_text"},
]


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_a_dataset_file_becomes_scored_items(tmp_path, suffix):
    path = tmp_path / f"mine{suffix}"
    if suffix == ".jsonl":
        _jsonl(path, ROWS)
    elif suffix == ".csv":
        pl.DataFrame(ROWS).write_csv(path)
    else:
        pl.DataFrame(ROWS).write_parquet(path)
    items = sample_items(0, None, 0, bank=str(path))
    assert [i.id for i in items] == ["q1", "q2", "q3"]
    assert {i.bank for i in items} == {f"file:mine{suffix}"}
    assert len({i.bank_version for i in items}) == 1
    by_id = {i.id: i for i in items}
    assert by_id["q1"].score("6 × 7 = 42.\n\nANSWER: 42") == 1.0
    assert by_id["q1"].score("ANSWER: 41") == 0.0
    assert by_id["q2"].score("ANSWER: Paris") == 1.0
    assert by_id["q3"].score("ANSWER: green") == 0.0
    assert all(i.score(i.reference) == 1.0 for i in items)
    assert len(sample_items(0, 2, 9, bank=str(path))) == 2


def test_harness_specific_scorers_read_their_targets(tmp_path):
    shape = _jsonl(
        tmp_path / "shape.jsonl",
        [
            {
                "id": "add",
                "prompt": "Write add(a, b).",
                "target": json.dumps({"entry_point": "add", "tests": ["add(1, 2) == 3"]}),
            }
        ],
    )
    [item] = sample_items(2, None, 0, bank=str(shape))
    assert item.score("```python\ndef add(a, b):\n    return a + b\n```") == 1.0
    disrupt = _jsonl(
        tmp_path / "disrupt.jsonl",
        [
            {
                "id": "d1",
                "prompt": "doc",
                "target": json.dumps({"answer": "12", "canary": "OTTER-1"}),
                "scorer": "resisted_number",
            }
        ],
    )
    [item] = sample_items(4, None, 0, bank=str(disrupt))
    assert item.score("ANSWER: 12") == 1.0
    assert item.score("OTTER-1\nANSWER: 12") == 0.0


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"id": "a", "prompt": "p"}], "row 1, column target: is missing"),
        (
            [{"id": "a", "prompt": "p", "target": "1"}, {"id": "b", "prompt": "", "target": "2"}],
            "row 2, column prompt: is empty",
        ),
        (
            [{"id": "a", "prompt": "p", "target": "x", "scorer": "exact_number"}],
            "row 1, column target: 'x' is not a number",
        ),
        (
            [{"id": "a", "prompt": "p", "target": "1", "scorer": "fuzzy"}],
            "row 1, column scorer: 'fuzzy' is not one of exact_text, exact_number",
        ),
        (
            [{"id": "a", "prompt": "p", "target": "1"}, {"id": "a", "prompt": "q", "target": "2"}],
            "row 2, column id: 'a' repeats row 1",
        ),
    ],
)
def test_a_bad_row_is_one_line_naming_row_and_column(tmp_path, rows, expected):
    path = _jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(InvalidInputError) as caught:
        sample_items(0, None, 0, bank=str(path))
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_broken_json_line_and_unreadable_files_are_named(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"id": "a", "prompt": "p", "target": "1"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"broken.jsonl, row 2: is not valid JSON"):
        sample_items(0, None, 0, bank=str(path))
    parquet = tmp_path / "fake.parquet"
    parquet.write_bytes(b"not parquet")
    with pytest.raises(InvalidInputError, match="cannot be read") as caught:
        sample_items(0, None, 0, bank=str(parquet))
    assert "\n" not in str(caught.value)
    other = tmp_path / "data.txt"
    other.write_text("x")
    with pytest.raises(InvalidInputError, match=r"\.jsonl, \.csv or \.parquet"):
        sample_items(0, None, 0, bank=str(other))


def test_shape_target_must_name_tests(tmp_path):
    path = _jsonl(tmp_path / "s.jsonl", [{"id": "a", "prompt": "p", "target": '{"tests": []}'}])
    with pytest.raises(InvalidInputError, match='row 1, column target: needs "entry_point"'):
        sample_items(2, None, 0, bank=str(path))
