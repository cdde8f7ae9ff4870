"""`map-elite run HARNESS (--tier T | MODEL...)` as a user runs it: a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mapelite.ledger import Ledger
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript

MAP_ELITE = str(Path(sys.executable).parent / "map-elite")


def map_elite(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAP_ELITE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "160", **(env or {})},
    )


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


def test_every_run_failing_exits_non_zero_and_still_records_the_failures(mapelite_home: Path):
    with ModelServer() as server:
        server.script("*", ModelScript(fault=Fault("unavailable"), fault_rate=1.0))
        env = {"MAPELITE_OPENAI_BASE_URL": server.base_url}
        done = map_elite("run", "SENSE", "openai/a", "openai/b", "--retries", "0", env=env)
    assert done.returncode == 1
    assert "every run failed" in done.stderr
    assert "ProviderUnavailableError" in done.stdout
    entries = list(Ledger(mapelite_home / "ledger.jsonl").read())
    assert [e.model for e in entries] == ["openai/a", "openai/b"]
    assert all(e.failed and e.scores.normalized == 0 for e in entries)


def test_models_and_tier_together_are_refused(mapelite_home: Path):
    done = map_elite("run", "0", "--tier", "demo", "mockllm/atlas")
    assert done.returncode == 2
    assert "give one of --tier, --models or model ids, not several" in done.stderr
