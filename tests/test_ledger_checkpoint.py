"""Nothing is appended to a ledger that does not verify; the pre-run check reads only what was
appended since its checkpoint (real files; sha256 of the ledger before and after)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.errors import LedgerCorruptError
from mapelite.ledger.chain import Ledger
from mapelite.ledger.checkpoint import (
    check_before_run,
    checkpoint_path,
    read_checkpoint,
    require_verified,
)
from mapelite.schemas import HarnessResult, ResultMetadata, Scores


def result(n: int) -> HarnessResult:
    return HarnessResult(
        harness_id=0,
        harness_name="SENSE",
        model="openai/m",
        scores=Scores(raw=1, normalized=1),
        metadata=ResultMetadata(run_id=f"r{n}", unit_key=f"k{n}"),
    )


def filled(path: Path, entries: int) -> Ledger:
    ledger = Ledger(path)
    ledger.append_many([result(n) for n in range(entries)])
    return ledger


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit_line(path: Path, index: int) -> None:
    """Flip one byte inside the model name of line ``index`` (the line stays well-formed)."""
    lines = path.read_bytes().splitlines(keepends=True)
    lines[index] = lines[index].replace(b'"openai/m"', b'"openai/n"', 1)
    path.write_bytes(b"".join(lines))


def test_a_byte_edited_in_the_middle_is_refused_naming_its_index(tmp_path: Path):
    ledger = filled(tmp_path / "ledger.jsonl", 1000)
    edit_line(ledger.path, 500)
    with pytest.raises(LedgerCorruptError) as caught:
        require_verified(ledger)
    assert caught.value.index == 500 and "line 500" in str(caught.value)
    assert ledger.verify().first_corrupt == 500


def test_the_check_records_a_checkpoint_that_the_ledgers_own_appends_carry_forward(
    tmp_path: Path,
):
    ledger = filled(tmp_path / "ledger.jsonl", 100)
    assert require_verified(ledger) == 100
    first = read_checkpoint(ledger.path)
    assert first is not None
    assert (first.offset, first.entries) == (ledger.path.stat().st_size, 100)
    assert first.hash == ledger.tail_hash()
    assert first.proof_sha256 == sha256(ledger.path), "the proof covers the whole file"

    ledger.append_many([result(n) for n in range(100, 150)])
    moved = read_checkpoint(ledger.path)
    assert moved is not None
    assert (moved.offset, moved.entries) == (ledger.path.stat().st_size, 150)
    assert moved.hash == ledger.tail_hash() and moved.proof_offset == first.offset
    assert require_verified(ledger) == 150


def test_an_edit_before_the_checkpoint_is_found_at_its_line(tmp_path: Path):
    ledger = filled(tmp_path / "ledger.jsonl", 100)
    require_verified(ledger)
    ledger.append_many([result(n) for n in range(100, 150)])  # the checkpoint moves to 150
    edit_line(ledger.path, 10)
    with pytest.raises(LedgerCorruptError) as caught:
        require_verified(ledger)
    assert caught.value.index == 10


def test_an_edit_that_restores_size_and_mtime_is_still_found(tmp_path: Path):
    ledger = filled(tmp_path / "ledger.jsonl", 100)
    require_verified(ledger)
    stat = ledger.path.stat()
    edit_line(ledger.path, 3)  # same size: one byte changed
    os.utime(ledger.path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(LedgerCorruptError) as caught:
        require_verified(ledger)
    assert caught.value.index == 3


def test_an_outside_append_is_verified_after_the_proven_prefix(tmp_path: Path):
    ledger = filled(tmp_path / "ledger.jsonl", 100)
    require_verified(ledger)
    record = checkpoint_path(ledger.path)
    saved = record.read_bytes()
    ledger.append(result(100))
    record.write_bytes(saved)  # as if a writer that does not carry the checkpoint appended
    assert require_verified(ledger) == 101
    after = read_checkpoint(ledger.path)
    assert after is not None and after.entries == 101
    assert after.proof_sha256 == sha256(ledger.path)


def test_an_edited_checkpoint_line_or_a_truncation_falls_back_to_a_full_verify(tmp_path: Path):
    ledger = filled(tmp_path / "ledger.jsonl", 50)
    require_verified(ledger)
    edit_line(ledger.path, 49)  # the line the checkpoint points at
    with pytest.raises(LedgerCorruptError) as caught:
        require_verified(ledger)
    assert caught.value.index == 49

    other = filled(tmp_path / "other.jsonl", 50)
    require_verified(other)
    lines = other.path.read_bytes().splitlines(keepends=True)
    other.path.write_bytes(b"".join(lines[:20]))  # cut back to 20 whole entries
    assert require_verified(other) == 20
    checkpoint = read_checkpoint(other.path)
    assert checkpoint is not None and checkpoint.entries == 20


def test_a_damaged_checkpoint_file_costs_one_full_verify(tmp_path: Path):
    ledger = filled(tmp_path / "ledger.jsonl", 30)
    checkpoint_path(ledger.path).write_text("{not json")
    assert require_verified(ledger) == 30
    assert read_checkpoint(ledger.path) is not None


@pytest.mark.prefect
async def test_a_batch_on_a_ledger_corrupt_in_the_middle_makes_no_call_and_writes_nothing(
    prefect_api, model_server, monkeypatch
):
    from flows.batch import batch_flow
    from tests.flow_helpers import use_model_server

    use_model_server(monkeypatch, model_server)
    ledger = filled(get_settings().ledger, 1000)
    check_before_run(ledger)  # a checkpoint at the end, as after an earlier run
    ledger.append_many([result(n) for n in range(1000, 1010)])
    edit_line(ledger.path, 1005)
    before = sha256(ledger.path)
    with pytest.raises(LedgerCorruptError, match="line 1005"):
        await batch_flow("tier1", harness="0", options=RunOptions(run_id="corrupt", bank="core"))
    assert sha256(ledger.path) == before
    assert model_server.total_stats().requests == 0
    assert model_server.check_requests() == 0, "the ledger is checked before the endpoints"
