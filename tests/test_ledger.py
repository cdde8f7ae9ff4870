"""The ledger: exact line format, chaining, refusal of bad input, reading and verifying."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from mapelite.errors import LedgerError
from mapelite.ledger.chain import Ledger
from mapelite.ledger.format import GENESIS_HASH, encode_entry
from mapelite.schemas import HARNESS_NAMES, HarnessResult


def make_result(
    harness_id: int = 0,
    *,
    model: str = "mockllm/atlas",
    normalized: float = 0.5,
    run_id: str = "run-1",
    unit_key: str | None = None,
    answer: str = "Paris",
    **metadata: Any,
) -> HarnessResult:
    return HarnessResult(
        harness_id=harness_id,
        harness_name=HARNESS_NAMES[harness_id],
        model=model,
        scores={"raw": normalized * 2, "normalized": normalized},
        metadata={
            "run_id": run_id,
            "unit_key": unit_key,
            "items": [
                {"item_id": "a", "answer": answer, "score": normalized},
                {"item_id": "b", "answer": None, "score": normalized},
            ],
            **metadata,
        },
    )


def test_genesis_hash_is_sha256_of_the_marker():
    assert hashlib.sha256(b"MAP-ELITE-GENESIS").hexdigest() == GENESIS_HASH


def test_first_entry_chains_from_genesis_and_next_from_it(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    first = ledger.append(make_result())
    second = ledger.append(make_result(1))
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert [r.hash for r in ledger.read()] == [first.hash, second.hash]


def test_stored_line_puts_prev_hash_first_and_hash_last(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    stored = ledger.append(make_result())
    line = ledger.path.read_bytes()
    assert line.startswith(b'{"prev_hash":"' + GENESIS_HASH.encode() + b'",')
    assert line.endswith(b',"hash":"' + str(stored.hash).encode() + b'"}\n')
    assert line.count(b"\n") == 1


def test_hash_is_sha256_of_the_exact_line_bytes_without_the_hash_field(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    stored = ledger.append(make_result(answer="café ✓"))
    line = ledger.path.read_bytes().rstrip(b"\n")
    without_hash = line.replace(b',"hash":"' + str(stored.hash).encode() + b'"', b"")
    assert hashlib.sha256(without_hash).hexdigest() == stored.hash
    assert "café ✓".encode() in line  # stored as UTF-8, not \u escapes


def test_read_returns_what_was_appended(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    stored = ledger.append_many([make_result(i, normalized=i / 7) for i in range(8)])
    assert list(ledger.read()) == stored
    assert ledger.verify().entries == 8


def test_missing_ledger_reads_nothing_and_verifies_as_empty(tmp_path: Path):
    ledger = Ledger(tmp_path / "none.jsonl")
    assert list(ledger.read()) == []
    report = ledger.verify()
    assert (report.valid, report.entries, report.first_corrupt) == (True, 0, None)
    with pytest.raises(LedgerError, match="no ledger"):
        ledger.require()


def test_invalid_result_is_refused_and_nothing_is_written(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    bad = make_result().model_dump(mode="json")
    bad["harness_name"] = "FUSE"  # harness 0 is SENSE
    with pytest.raises(ValidationError, match="SENSE"):
        ledger.append(bad)
    mutated = make_result()
    mutated.scores.__dict__["normalized"] = 3.0  # bypasses validation on the instance
    with pytest.raises(ValidationError):
        ledger.append(mutated)
    assert not ledger.path.exists()


def test_append_many_with_one_invalid_result_writes_none(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(make_result())
    before = ledger.path.read_bytes()
    bad = make_result(1).model_dump(mode="json")
    bad["model"] = "no-provider"
    with pytest.raises(ValidationError):
        ledger.append_many([make_result(2), bad])
    assert ledger.path.read_bytes() == before


def test_append_refuses_after_a_torn_last_line_and_writes_nothing(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append_many([make_result(), make_result(1)])
    torn = ledger.path.read_bytes()[:-10]
    ledger.path.write_bytes(torn)
    with pytest.raises(LedgerError, match="torn") as caught:
        ledger.append(make_result(2))
    assert "nothing was written" in str(caught.value)
    assert ledger.path.read_bytes() == torn


def test_append_refuses_when_the_last_entry_was_edited(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append_many([make_result(), make_result(1)])
    edited = ledger.path.read_bytes().replace(
        b'"model":"mockllm/atlas"', b'"model":"mockllm/atlaz"'
    )
    ledger.path.write_bytes(edited)
    with pytest.raises(LedgerError, match="corrupt"):
        ledger.append(make_result(2))
    assert ledger.path.read_bytes() == edited


def test_append_finds_the_tail_of_an_entry_longer_than_one_read_chunk(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(make_result(answer="x" * 10))
    big = ledger.append(make_result(answer="y" * 200_000))
    after = ledger.append(make_result(3))
    assert after.prev_hash == big.hash
    assert ledger.verify().valid


def test_verify_names_the_reason_and_index_of_a_broken_link(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append_many([make_result(i) for i in range(3)])
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    ledger.path.write_bytes(lines[0] + lines[2])  # entry 1 removed
    report = ledger.verify()
    assert (report.valid, report.first_corrupt, report.entries) == (False, 1, 1)
    assert report.reason is not None and "prev_hash" in report.reason


def test_verify_rejects_a_blank_line(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(make_result())
    with ledger.path.open("ab") as handle:
        handle.write(b"\n")
    assert ledger.verify().first_corrupt == 1


def test_results_for_run_keys_by_unit_key_and_latest_wins(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(make_result(0, run_id="r1", unit_key="u0", normalized=0.0))
    ledger.append(make_result(1, run_id="r2", unit_key="u0"))
    ledger.append(make_result(1, run_id="r1", unit_key="u1"))
    latest = ledger.append(make_result(0, run_id="r1", unit_key="u0", normalized=1.0))
    ledger.append(make_result(0, run_id="r1", unit_key=None))
    found = ledger.results_for_run("r1")
    assert set(found) == {"u0", "u1"}
    assert found["u0"] == latest


def test_read_reports_an_unparseable_line_with_its_index(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(make_result())
    with ledger.path.open("ab") as handle:
        handle.write(b"not json\n")
    with pytest.raises(LedgerError, match="line 1"):
        list(ledger.read())


def test_extra_metadata_keys_are_kept(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(make_result(engine_note="kept"))
    (entry,) = ledger.read()
    assert entry.metadata.model_dump()["engine_note"] == "kept"
    line = json.loads(ledger.path.read_text())
    keys = list(line)
    assert (keys[0], keys[-1]) == ("prev_hash", "hash")


def test_a_lone_surrogate_in_an_answer_is_stored_as_replacement_characters(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    stored = ledger.append(make_result(answer="a\ud800b"))
    answer = stored.metadata.items[0].answer or ""
    assert answer.startswith("a\ufffd") and answer.endswith("b") and "\ud800" not in answer
    assert list(ledger.read()) == [stored]
    assert ledger.verify().valid


def test_an_append_cut_short_by_a_full_disk_leaves_no_partial_line(tmp_path: Path) -> None:
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "ledger.jsonl"
    Ledger(path).append(make_result())
    before = path.read_bytes()
    # A child whose file-size limit stops the batch's single write partway (EFBIG: CPython
    # ignores SIGXFSZ), as a full disk would.
    child = textwrap.dedent(
        f"""
        import resource, sys
        from mapelite.errors import LedgerError
        from mapelite.ledger.chain import Ledger
        from tests.test_ledger import make_result
        limit = {len(before) + 1000}
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            Ledger({str(path)!r}).append_many([make_result() for _ in range(50)])
        except LedgerError as exc:
            print(exc)
            sys.exit(7)
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
    assert done.returncode == 7, done.stderr
    assert "nothing of this append was kept" in done.stdout
    assert path.read_bytes() == before
    report = Ledger(path).verify()
    assert report.valid and report.entries == 1


def test_an_entry_line_without_a_version_reads_as_version_1(tmp_path: Path) -> None:
    fields = make_result().ledger_fields()
    del fields["version"]  # as entries were written before the field existed
    line, _ = encode_entry(fields, GENESIS_HASH)
    assert b'"version"' not in line
    ledger = Ledger(tmp_path / "old.jsonl")
    ledger.path.write_bytes(line)
    assert ledger.verify().valid
    [entry] = list(ledger.read())
    assert entry.version == 1


def test_entries_from_every_runner_constructor_are_written_with_the_current_format_version(
    tmp_path: Path,
) -> None:
    from mapelite.results import agent_result
    from mapelite.schemas import LEDGER_FORMAT_VERSION

    result = agent_result(0, "mockllm/atlas", None, runner="local", error="no answer")
    [stored] = Ledger(tmp_path / "new.jsonl").append_many([result])
    assert LEDGER_FORMAT_VERSION == 2
    assert stored.version == LEDGER_FORMAT_VERSION
    assert stored.metadata.simulated and stored.metadata.run_id == "local-unassigned"
