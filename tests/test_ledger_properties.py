"""Property tests of the ledger's invariants (hypothesis, >= 100 examples each)."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapelite.ledger.chain import Ledger
from mapelite.ledger.format import GENESIS_HASH
from mapelite.schemas import HarnessResult
from tests.test_ledger import make_result

PROPERTY_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

results = st.builds(
    make_result,
    harness_id=st.integers(0, 7),
    model=st.sampled_from(["mockllm/atlas", "ollama/llama3.2:1b", "openrouter/openai/gpt-5-nano"]),
    normalized=st.floats(0, 1),
    run_id=st.text(min_size=1, max_size=8),
    answer=st.text(max_size=24),
)
sequences = st.lists(results, min_size=1, max_size=6)


def _ledger(directory: str) -> Ledger:
    return Ledger(Path(directory) / "ledger.jsonl")


@PROPERTY_SETTINGS
@given(entries=sequences, batched=st.booleans())
def test_chain_links_every_entry_to_the_one_before(entries: list[HarnessResult], batched: bool):
    with tempfile.TemporaryDirectory() as directory:
        ledger = _ledger(directory)
        if batched:
            ledger.append_many(entries)
        else:
            for entry in entries:
                ledger.append(entry)
        stored = list(ledger.read())
        assert len(stored) == len(entries)
        assert stored[0].prev_hash == GENESIS_HASH
        for before, after in itertools.pairwise(stored):
            assert after.prev_hash == before.hash
        for original, kept in zip(entries, stored, strict=True):
            assert kept.ledger_fields() == original.ledger_fields()
        report = ledger.verify()
        assert report.valid and report.entries == len(entries)


@PROPERTY_SETTINGS
@given(entries=sequences)
def test_append_never_changes_earlier_lines(entries: list[HarnessResult]):
    with tempfile.TemporaryDirectory() as directory:
        ledger = _ledger(directory)
        before = b""
        for entry in entries:
            ledger.append(entry)
            now = ledger.path.read_bytes()
            assert now.startswith(before)
            assert now.count(b"\n") == before.count(b"\n") + 1
            before = now


@PROPERTY_SETTINGS
@given(entries=sequences, position=st.floats(0, 1, exclude_max=True), delta=st.integers(1, 255))
def test_any_edited_byte_is_found_at_its_line(
    entries: list[HarnessResult], position: float, delta: int
):
    with tempfile.TemporaryDirectory() as directory:
        ledger = _ledger(directory)
        ledger.append_many(entries)
        data = bytearray(ledger.path.read_bytes())
        offset = int(position * len(data))
        data[offset] = (data[offset] + delta) % 256
        ledger.path.write_bytes(bytes(data))
        edited_line = data[:offset].count(b"\n")
        report = ledger.verify()
        assert not report.valid
        assert report.first_corrupt == edited_line
        assert report.entries == edited_line


@PROPERTY_SETTINGS
@given(entries=sequences, cut=st.floats(0, 1, exclude_min=True, exclude_max=True))
def test_a_truncated_last_line_is_found_at_its_index(entries: list[HarnessResult], cut: float):
    with tempfile.TemporaryDirectory() as directory:
        ledger = _ledger(directory)
        ledger.append_many(entries)
        data = ledger.path.read_bytes()
        last_start = data.rfind(b"\n", 0, len(data) - 1) + 1
        keep = last_start + max(1, int(cut * (len(data) - last_start)))
        keep = min(keep, len(data) - 1)  # at least one byte of the last line is lost
        ledger.path.write_bytes(data[:keep])
        report = ledger.verify()
        assert not report.valid
        assert report.first_corrupt == len(entries) - 1
        assert report.reason is not None and "torn" in report.reason
