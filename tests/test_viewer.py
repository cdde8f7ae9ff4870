"""The viewer's data: what the grid, swarm trees, comparisons and prompts say, on the hand-worked
ledger of tests/test_profiles.py; and `map-elite view`'s one-line errors."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cli.app import run_app
from cli.main import build_app
from mapelite.banks import GENERATORS, sample_items
from mapelite.errors import InvalidInputError
from mapelite.ledger.chain import Ledger
from mapelite.stats.compare import compare
from mapelite.stats.core import outcome_interval
from profiles.viewer.data import ViewerDataBuilder
from profiles.viewer.prompts import item_text
from profiles.viewer.swarms import swarm_item_outcomes
from tests.test_profiles import ATLAS, BIRCH, LLAMA, NANO, result, scenario_results


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return ViewerDataBuilder(scenario_results()).build()


def row_of(data: dict[str, Any], name: str) -> int:
    return next(i for i, row in enumerate(data["rows"]) if row["name"] == name)


def cell(data: dict[str, Any], name: str, harness: int) -> dict[str, Any]:
    row = row_of(data, name)
    return next(c for c in data["cells"] if c["row"] == row and c["harness"] == harness)


def test_grid_rows_are_setups_then_swarm_runs(data: dict[str, Any]) -> None:
    names = [row["name"] for row in data["rows"]]
    assert names == [
        ATLAS,
        BIRCH,
        LLAMA,
        NANO,
        "swarm :10 · s1",
        "swarm :10 · s2",
        "swarm :01 · s3",
    ]


def test_a_cell_pools_solo_answers_with_the_stats_interval_and_errors_apart(
    data: dict[str, Any],
) -> None:
    # birch on DECIDE: d1 all four items errors (a failed run), d2 1110.
    decide = cell(data, BIRCH, 7)
    assert (decide["n"], decide["answers"], decide["errors"], decide["failed_entries"]) == (
        4,
        8,
        4,
        1,
    )
    entries = [e for e in scenario_results() if e.model == BIRCH and e.harness_id == 7]
    expected = outcome_interval(o for e in entries for o in e.metadata.items)
    assert decide["value"] == round(expected.mean, 4) == 0.75
    assert (decide["ci_low"], decide["ci_high"]) == (
        round(expected.ci_low, 4),
        round(expected.ci_high, 4),
    )
    # atlas on SENSE: c1 1111 plus its first-stage worker answers in s1 (1100) and s2 (1110).
    assert cell(data, ATLAS, 0)["n"] == 12


def test_a_swarm_cell_is_its_last_stage(data: dict[str, Any]) -> None:
    assert cell(data, "swarm :10 · s1", 0)["value"] == 0.75  # aggregator 1110
    assert cell(data, "swarm :01 · s3", 0)["n"] == 8  # two consumers × 4 items


def test_swarm_items_say_where_the_swarm_fixed_or_broke_its_first_stage() -> None:
    entries = scenario_results()
    s1 = [e for e in entries if e.metadata.run_id == "s1"]
    # workers 1100 and 1000 -> first-stage means 1, .5, 0, 0; aggregator 1110.
    assert [(i.first_mean, i.last_mean, i.outcome) for i in swarm_item_outcomes(s1)] == [
        (1.0, 1.0, "kept right"),
        (0.5, 1.0, "kept right"),
        (0.0, 1.0, "fixed"),
        (0.0, 0.0, "kept wrong"),
    ]
    s3 = [e for e in entries if e.metadata.run_id == "s3"]
    # source 1110, consumers 1100 and 0000 -> last-stage means .5, .5, 0, 0.
    assert [i.outcome for i in swarm_item_outcomes(s3)] == [
        "kept right", "kept right", "broke", "kept wrong",
    ]  # fmt: skip


def test_paired_rows_agree_with_compare_and_count_wins_losses_ties(data: dict[str, Any]) -> None:
    a, b = row_of(data, NANO), row_of(data, LLAMA)
    pair = next(p for p in data["pairs"] if {p["a"], p["b"]} == {a, b})
    assert (pair["a"], pair["b"]) == (min(a, b), max(a, b))
    sign = 1 if pair["a"] == a else -1
    expected = compare(scenario_results(), NANO, LLAMA).overall
    assert pair["n"] == expected.n == 32
    assert expected.difference is not None and expected.p_value is not None
    assert sign * pair["difference"] == round(expected.difference, 4)
    assert pair["p_value"] == round(expected.p_value, 4)
    # nano 1110 against the means of llama 1000 (b1) and 1100 (b2): 1, .5, 0, 0 per harness.
    wins, losses = (pair["wins"], pair["losses"]) if sign == 1 else (pair["losses"], pair["wins"])
    assert (wins, losses, pair["ties"]) == (16, 0, 16)
    assert [h["harness"] for h in pair["harnesses"]] == list(range(8))


def test_every_generated_bank_item_gets_its_prompt_back_from_its_id() -> None:
    for harness_id in GENERATORS:
        for item in sample_items(harness_id, 3, 5, bank="gen"):
            text = item_text(harness_id, item.bank, item.id, item.bank_version)
            assert (text.prompt, text.reference, text.note) == (item.prompt, item.reference, None)
    store = sample_items(6, 1, 0, bank="gen", context_tokens=1000)[0]
    assert item_text(6, "gen", store.id, store.bank_version).prompt == store.prompt
    assert item_text(7, "core", "decide-01", "1").prompt is not None


def test_a_prompt_that_cannot_be_rebuilt_says_why() -> None:
    text = item_text(0, "my-file", "row-1", "abc")
    assert text.prompt is None and text.note is not None and "not stored" in text.note
    other = item_text(7, "gen", "decide-g9-000001", "9")
    assert other.prompt is None and "version 9" in (other.note or "")


def test_real_model_fields_and_search_records_are_carried_when_present(tmp_path: Path) -> None:
    entry = result(NANO, 7, "10", 1, "q1")
    items = [o.model_copy(update={"thinking": "let me think", "finish_reason": "length",
                                  "reasoning_tokens": 12, "served_by": "Acme"})
             for o in entry.metadata.items]  # fmt: skip
    meta = entry.metadata.model_copy(update={"items": items})
    meta.__pydantic_extra__ = {"search": {"generation": 2, "cell": "c3", "elite": True}}
    searched = entry.model_copy(update={"metadata": meta})
    stored = Ledger(tmp_path / "l.jsonl").append(searched)  # the record survives the ledger
    data = ViewerDataBuilder([stored]).build()
    assert data["items"]["thinking"] == ["let me think", "let me think"]
    assert data["items"]["served_by"][0] == "Acme" and data["items"]["reasoning_tokens"][0] == 12
    assert data["cells"][0]["truncated"] == 2
    assert data["search"] == [{"entry": 0, "generation": 2, "cell": "c3", "elite": True}]
    assert data["runs"][0]["kind"] == "search"


def unpacked(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="viewer-data" type="application/octet-stream">([^<]*)</script>', html
    )
    assert found is not None
    return json.loads(gzip.decompress(base64.b64decode(found[1])))


def test_view_writes_one_file_with_the_data_inside_and_nothing_to_fetch(
    tmp_path: Path, mapelite_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = Ledger(mapelite_home / "ledger.jsonl")
    ledger.append_many(scenario_results())
    out = tmp_path / "v.html"
    assert run_app(build_app(), ["view", "--out", str(out), "--run", "s1", "--run", "a1"]) == 0
    said = capsys.readouterr().out
    assert "SIMULATED" in said and f"wrote {out}" in said and "2 runs" in said
    html = out.read_text()
    assert "default-src 'none'" in html  # the page may not load anything
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    embedded = unpacked(html)
    assert [r["id"] for r in embedded["runs"]] == ["a1", "s1"]
    assert [r["kind"] for r in embedded["runs"]] == ["eval", "swarm"]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["view", "--run", "nope"], 2, "error: no run nope in the ledger"),
        (["view", "--run", "a1", "--all"], 2, "error: give --run ID or --all, not both"),
    ],
)
def test_view_bad_input_is_one_line(
    argv: list[str],
    code: int,
    message: str,
    mapelite_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Ledger(mapelite_home / "ledger.jsonl").append_many(scenario_results()[:2])
    assert run_app(build_app(), argv) == code
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_view_of_a_missing_or_corrupt_ledger_is_one_line_exit_1(
    mapelite_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(build_app(), ["view"]) == 1
    assert capsys.readouterr().err.startswith("error: no ledger at ")
    path = mapelite_home / "ledger.jsonl"
    Ledger(path).append_many(scenario_results()[:3])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + lines[1].replace(b"gpt-5-nano", b"gpt-5-mini") + lines[2])
    assert run_app(build_app(), ["view"]) == 1
    err = capsys.readouterr().err
    assert "corrupt at entry 1" in err and err.count("\n") == 1


def test_a_selection_too_big_for_one_file_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from profiles.viewer import page

    path = tmp_path / "ledger.jsonl"
    Ledger(path).append_many(scenario_results())
    monkeypatch.setattr(page, "MAX_ANSWERS", 10)
    with pytest.raises(InvalidInputError, match=r"more than 10 item answers.*--run ID"):
        page.select_entries(path)
    entries, total = page.select_entries(path, ["c1"])  # a run small enough
    assert (len(entries), total) == (2, len(scenario_results()))
