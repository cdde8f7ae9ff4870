"""`map-elite run HARNESS (--tier T | MODEL...)` as a user runs it: a real subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mapelite.errors import EXIT_COMPLETED_WITH_ERRORS, EXIT_LEDGER
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.ledger.outcomes import coverage, scored_mean
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from tests.flow_helpers import map_elite, one_error_line, sha256_of


def test_demo_tier_run_appends_eight_entries_to_a_ledger_that_verifies(mapelite_home: Path):
    done = map_elite("run", "0", "--tier", "demo")
    assert done.returncode == 0, done.stderr
    assert "SIMULATED" in done.stdout
    assert "mockllm/atlas" in done.stdout
    ledger = Ledger(mapelite_home / "ledger.jsonl")
    report = ledger.verify()
    assert report.valid and report.entries == 8
    entries = list(ledger.read())
    assert all(e.simulated and e.harness_id == 0 for e in entries)
    assert len({e.metadata.run_id for e in entries}) == 1


def test_missing_openrouter_key_is_one_line_naming_the_setting_exit_2(mapelite_home: Path):
    done = map_elite("run", "0", "openrouter/meta-llama/llama-3.2-1b-instruct")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "MAPELITE_OPENROUTER_API_KEY" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (mapelite_home / "ledger.jsonl").exists()


def test_every_call_failing_exits_5_with_the_errors_grouped_and_recorded_as_errors(
    mapelite_home: Path,
):
    with ModelServer() as server:
        server.script("*", ModelScript(fault=Fault("unavailable"), fault_rate=1.0))
        env = {"MAPELITE_OPENAI_BASE_URL": server.base_url}
        done = map_elite(
            "run", "SENSE", "openai/a", "openai/b", "--retries", "0", "--bank", "core", **env
        )
        calls = server.total_stats().requests
    items = len(get_harness(0).items)
    assert calls == 2 * items, "one call per item, no retry"
    assert done.returncode == EXIT_COMPLETED_WITH_ERRORS
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "completed with errors in 2 of 2 harness runs" in lines[0]
    assert "errors: HTTP 503 from openai × 2 harness runs (12 items)" in done.stdout
    assert "ProviderUnavailableError" in done.stdout, "the error column"
    entries = list(Ledger(mapelite_home / "ledger.jsonl").read())
    assert [e.model for e in entries] == ["openai/a", "openai/b"]
    assert all(coverage(e).scored == 0 and coverage(e).total == items for e in entries)
    assert all(scored_mean(e) is None for e in entries), "no score, not a score of 0"


# -- the pre-run check comes before the first paid call (faults 1 and 5) ------------------------


def test_a_ledger_path_that_is_a_directory_exits_1_in_one_line_before_any_call(tmp_path: Path):
    directory = tmp_path / "ledger-dir"
    directory.mkdir()
    with ModelServer() as server:
        env = {"MAPELITE_OPENAI_BASE_URL": server.base_url, "MAPELITE_LEDGER_PATH": str(directory)}
        done = map_elite("run", "SENSE", "openai/a", "openai/b", "--bank", "core", **env)
        assert server.total_stats().requests == 0, "no model call paid"
        assert server.check_requests() == 0, "the ledger is checked before the endpoints"
    assert done.returncode == EXIT_LEDGER
    assert one_error_line(done) == (
        f"error: cannot write the ledger: {directory} is not a regular file"
    )
    assert list(directory.iterdir()) == [], "nothing written into the directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_ledger_exits_1_in_one_line_before_any_call(mapelite_home: Path):
    ledger = mapelite_home / "ledger.jsonl"
    ledger.write_bytes(b"")
    ledger.chmod(0o444)
    with ModelServer() as server:
        done = map_elite(
            "run", "SENSE", "openai/a", "--bank", "core", MAPELITE_OPENAI_BASE_URL=server.base_url
        )
        assert server.total_stats().requests == 0
    assert done.returncode == EXIT_LEDGER
    assert "cannot write the ledger" in one_error_line(done)


def test_a_ledger_with_a_byte_edited_in_the_middle_is_refused_naming_the_line(
    mapelite_home: Path,
):
    ledger = Ledger(mapelite_home / "ledger.jsonl")
    assert map_elite("run", "all", "--tier", "demo").returncode == 0
    entries = ledger.verify().entries
    assert entries == 64
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    middle = entries // 2
    lines[middle] = lines[middle].replace(b'"harness_id":', b'"harness_id": ', 1)
    ledger.path.write_bytes(b"".join(lines))
    before = sha256_of(ledger.path)

    with ModelServer() as server:
        env = {"MAPELITE_OPENAI_BASE_URL": server.base_url}
        for argv in (["0", "--tier", "demo"], ["0", "openai/a"]):
            done = map_elite("run", *argv, **env)
            assert done.returncode == EXIT_LEDGER, done.stderr
            line = one_error_line(done)
            assert f"does not verify at line {middle}" in line and "map-elite verify" in line
        assert server.total_stats().requests == 0 and server.check_requests() == 0
    assert sha256_of(ledger.path) == before, "nothing appended"
    assert ledger.verify().first_corrupt == middle


def test_models_and_tier_together_are_refused(mapelite_home: Path):
    done = map_elite("run", "0", "--tier", "demo", "mockllm/atlas")
    assert done.returncode == 2
    assert "give one of --tier, --models or model ids, not several" in done.stderr
