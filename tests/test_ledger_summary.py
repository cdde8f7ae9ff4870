"""The ledger's summary index: kept in step by appends, rebuilt when stale, never trusted blindly.

Every roll-up here is compared with the same roll-up read from the ledger itself.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from bench.gen_ledger import generate_ledger
from mapelite.ledger.chain import Ledger
from mapelite.ledger.summary import SUMMARY_HEADER, summary_in_step, summary_path
from profiles.frame import EntryFilters, load_entries
from profiles.rollup import build_report
from profiles.schema import Report
from tests.test_ledger import make_result
from tests.test_profiles import result, write_scenario_ledger


def comparable(report: Report) -> dict[str, object]:
    return report.model_dump(exclude={"generated_at"})


def summary_rows(ledger_path: Path) -> pl.DataFrame:
    return pl.read_csv(summary_path(ledger_path), infer_schema=False)


def assert_summary_matches_ledger(ledger_path: Path) -> None:
    """After a roll-up (which repairs the summary if need be), every row is its entry's."""
    from_summary = load_entries(ledger_path, EntryFilters(), None)
    from_ledger = load_entries(ledger_path, EntryFilters(), None, use_summary=False)
    assert from_summary.equals(from_ledger, null_equal=True)
    stored = list(Ledger(ledger_path).read())
    rows = summary_rows(ledger_path)
    assert rows["hash"].to_list() == [entry.hash for entry in stored]
    assert rows["seq"].to_list() == [str(i) for i in range(len(stored))]


def test_appends_write_a_summary_row_per_entry_in_step_with_the_ledger(tmp_path: Path) -> None:
    ledger_path = write_scenario_ledger(tmp_path / "ledger.jsonl")
    tail = summary_in_step(ledger_path)
    assert tail is not None and tail.entries == 44
    assert summary_path(ledger_path).name == "ledger.summary.csv"
    assert_summary_matches_ledger(ledger_path)


def test_report_from_the_summary_equals_the_report_from_the_ledger(tmp_path: Path) -> None:
    ledger_path = write_scenario_ledger(tmp_path / "ledger.jsonl")
    assert summary_in_step(ledger_path) is not None
    for filters in (EntryFilters(), EntryFilters(provider="mockllm"), EntryFilters(run_id="s1")):
        via_summary = build_report(ledger_path, filters)
        direct = build_report(ledger_path, filters, use_summary=False)
        assert comparable(via_summary) == comparable(direct)
    assert build_report(ledger_path).models  # the comparison is not between two empty reports


def test_strings_with_commas_quotes_and_newlines_survive_the_summary(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(result("mockllm/atlas", 0, "1100", 1, 'run,"odd"\nid', tier=""))
    ledger.append(result("mockllm/atlas", 1, "1000", 1, "plain", repeat=2, tier="demo"))
    ledger.append(result("mockllm/atlas", 2, "1111", 2, "", second=1, error="bad\r\nthing"))
    assert summary_in_step(ledger.path) is not None
    assert_summary_matches_ledger(ledger.path)


SUMMARY_WRITER = """
import sys, time
from pathlib import Path
from mapelite.ledger.chain import Ledger
from tests.test_ledger import make_result

ledger_path, go_file, writer = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
ledger = Ledger(ledger_path)
entries = [make_result(i % 8, run_id=f"w{writer}", unit_key=f"w{writer}-{i}") for i in range(100)]
while not go_file.exists():
    time.sleep(0.005)
for entry in entries[:50]:
    ledger.append(entry)
for start in range(50, 100, 10):
    ledger.append_many(entries[start : start + 10])
"""


def test_summary_stays_in_step_under_four_concurrent_appending_processes(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    go_file = tmp_path / "go"
    repo = Path(__file__).resolve().parent.parent
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", SUMMARY_WRITER, str(ledger_path), str(go_file), str(w)],
            cwd=repo,
        )
        for w in range(4)
    ]
    time.sleep(0.5)  # let the interpreters start; they poll for the go file
    go_file.touch()
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    assert Ledger(ledger_path).verify().entries == 400
    tail = summary_in_step(ledger_path)
    assert tail is not None and tail.entries == 400
    assert_summary_matches_ledger(ledger_path)


def test_a_missing_summary_is_rebuilt_by_the_roll_up(tmp_path: Path) -> None:
    ledger_path = write_scenario_ledger(tmp_path / "ledger.jsonl")
    expected = comparable(build_report(ledger_path, use_summary=False))
    summary_path(ledger_path).unlink()  # as for a ledger written before summaries existed
    assert comparable(build_report(ledger_path)) == expected
    assert summary_in_step(ledger_path) is not None
    assert_summary_matches_ledger(ledger_path)


def test_a_summary_missing_its_last_rows_is_left_alone_by_appends_then_rebuilt(
    tmp_path: Path,
) -> None:
    ledger_path = write_scenario_ledger(tmp_path / "ledger.jsonl")
    index = summary_path(ledger_path)
    lines = index.read_bytes().splitlines(keepends=True)
    index.write_bytes(b"".join(lines[:-2]))  # a crash after the ledger write, before the summary
    Ledger(ledger_path).append(make_result(3, run_id="late"))
    assert len(index.read_bytes().splitlines()) == len(lines) - 2  # not extended out of step
    assert summary_in_step(ledger_path) is None
    assert comparable(build_report(ledger_path)) == comparable(
        build_report(ledger_path, use_summary=False)
    )
    assert_summary_matches_ledger(ledger_path)


def test_a_torn_or_foreign_summary_is_rebuilt(tmp_path: Path) -> None:
    ledger_path = write_scenario_ledger(tmp_path / "ledger.jsonl")
    index = summary_path(ledger_path)
    index.write_bytes(index.read_bytes()[:-10])  # torn last row
    assert summary_in_step(ledger_path) is None
    assert_summary_matches_ledger(ledger_path)
    index.write_bytes(b"model,score\n" + index.read_bytes()[len(SUMMARY_HEADER) :])
    assert summary_in_step(ledger_path) is None
    assert_summary_matches_ledger(ledger_path)


def test_a_summary_whose_last_hash_was_edited_is_never_trusted(tmp_path: Path) -> None:
    ledger_path = write_scenario_ledger(tmp_path / "ledger.jsonl")
    index = summary_path(ledger_path)
    text = index.read_text()
    last_hash = text[-65:-1]
    # The last row claims a perfect score for a failed run and carries a forged hash.
    tampered = text[: text.rindex("\n", 0, -1) + 1] + (
        f'"mockllm/birch",0,1.0,0,"s3",,":01",1,1,"consumer",,,0.001,false,true,23,{"0" * 64}\n'
    )
    index.write_text(tampered)
    assert summary_in_step(ledger_path) is None
    assert comparable(build_report(ledger_path)) == comparable(
        build_report(ledger_path, use_summary=False)
    )
    assert index.read_text().endswith(last_hash + "\n")


def test_a_summary_with_rows_out_of_sequence_is_rebuilt(tmp_path: Path) -> None:
    ledger_path = write_scenario_ledger(tmp_path / "ledger.jsonl")
    index = summary_path(ledger_path)
    lines = index.read_bytes().splitlines(keepends=True)
    index.write_bytes(b"".join([lines[0], lines[2], lines[1], *lines[3:]]))  # tail still matches
    assert summary_in_step(ledger_path) is not None
    assert_summary_matches_ledger(ledger_path)


def test_an_unwritable_summary_falls_back_to_reading_the_ledger(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    summary_path(ledger_path).mkdir()  # a directory where the summary should be: not writable
    write_scenario_ledger(ledger_path)  # appends still succeed
    assert Ledger(ledger_path).verify().entries == 44
    assert comparable(build_report(ledger_path)) == comparable(
        build_report(ledger_path, use_summary=False)
    )
    assert summary_path(ledger_path).is_dir()


def test_generated_bench_ledgers_carry_a_summary_in_step(tmp_path: Path) -> None:
    ledger_path = generate_ledger(tmp_path / "ledger.jsonl", 300, items_per_entry=2)
    tail = summary_in_step(ledger_path)
    assert tail is not None and tail.entries == 300
    assert_summary_matches_ledger(ledger_path)


def test_item_statistics_with_families_partial_credit_and_errors_match_the_ledger(
    tmp_path: Path,
) -> None:
    from mapelite.schemas import HARNESS_NAMES, HarnessResult, ItemOutcome

    ledger = Ledger(tmp_path / "ledger.jsonl")
    scores = [0.3333333333333333, 0.6666666666666666, 0.1, 0.7, 0.2, 1.0]
    for shift in range(3):
        items = [
            ItemOutcome(
                item_id=f"i{i}",
                family=f"f{i // 2}" if shift != 1 else None,
                score=scores[(i + shift) % 6],
                error="timeout" if (i + shift) % 5 == 0 else None,
            )
            for i in range(6)
        ]
        ledger.append(
            HarnessResult(
                harness_id=2,
                harness_name=HARNESS_NAMES[2],
                model="mockllm/atlas",
                scores={"raw": 1.0, "normalized": 0.5},
                metadata={"run_id": f"r{shift}", "items": items},
            )
        )
    assert_summary_matches_ledger(ledger.path)
    frame = load_entries(ledger.path, EntryFilters(), None)
    assert frame["clusters"].to_list() == [3, 5, 3]  # families pair the items; r1 has none
    assert frame["errors"].to_list() == [2, 1, 1]
    summary_path(ledger.path).unlink()  # rebuilt by polars: the same frame
    assert load_entries(ledger.path, EntryFilters(), None).equals(frame, null_equal=True)


def test_a_summary_rebuilt_in_many_small_blocks_is_the_one_rebuilt_in_one_block(
    tmp_path: Path, monkeypatch
) -> None:
    import profiles.frame

    ledger_path = generate_ledger(tmp_path / "ledger.jsonl", 300, items_per_entry=2)
    summary_path(ledger_path).unlink()
    assert profiles.frame.ensure_summary(ledger_path) is not None  # the whole ledger: one block
    whole = summary_path(ledger_path).read_bytes()
    line_bytes = ledger_path.stat().st_size // 300
    monkeypatch.setattr(profiles.frame, "SUMMARY_BLOCK_BYTES", 7 * line_bytes + 13)
    summary_path(ledger_path).unlink()
    assert profiles.frame.ensure_summary(ledger_path) is not None
    assert summary_path(ledger_path).read_bytes() == whole
    assert_summary_matches_ledger(ledger_path)
