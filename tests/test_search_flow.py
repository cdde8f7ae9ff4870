"""`map-elite search` end to end (SIMULATED models, a real process, Prefect's test server):
killed with SIGKILL mid-search and resumed with its run id, it makes no stored call twice and
reaches the archive an unkilled run with the same seed reaches."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from typing import Any

import pytest

from mapelite.config.settings import get_settings
from mapelite.ledger.chain import Ledger
from tests.flow_helpers import PYTHON, subprocess_env

pytestmark = pytest.mark.prefect

SEARCH = [
    "search", "--models", "mockllm/atlas,mockllm/gale,mockllm/harbor", "--settings", "off",
    "--structures", "single,vote,self-moa", "--generations", "3", "--round-items", "6",
    "--confirm-items", "6", "--budget-usd", "0.5", "--seed", "3", "--yes", "--json",
]  # fmt: skip


def start(run_id: str, prefect_api: str) -> subprocess.Popen[str]:
    env = subprocess_env(PREFECT_API_URL=prefect_api, MAPELITE_MOCKLLM_LATENCY_S="0.01")
    return subprocess.Popen(
        [PYTHON, "-m", "cli.main", *SEARCH, "--run-id", run_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def entries_of(run_id: str) -> list[Any]:
    ledger = Ledger(get_settings().ledger)
    return [e for e in ledger.read() if (e.metadata.run_id or "").startswith(f"{run_id}.")]


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """The archive and statements without measured latency (wall-clock time differs)."""
    rows = [
        {**row, "elite": {k: v for k, v in row["elite"].items() if k != "latency_per_item"}}
        for row in report["archive"]["rows"]
    ]
    return {"rows": rows, "statements": report["statements"], "calls": report["calls"]}


def test_a_killed_search_resumes_to_the_same_archive_without_repeating_a_call(prefect_api):
    first = start("search-killed", prefect_api)
    deadline = time.monotonic() + 120
    while first.poll() is None and time.monotonic() < deadline:
        if len(entries_of("search-killed")) >= 40:
            break
        time.sleep(0.05)
    first.kill()  # SIGKILL: no cleanup runs
    first.wait(timeout=30)
    assert first.returncode == -9, "the search must be killed mid-way, not finish"
    before = {e.metadata.unit_key for e in entries_of("search-killed")}
    assert before

    resumed = start("search-killed", prefect_api)
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    whole = start("search-whole", prefect_api)
    out_whole, err_whole = whole.communicate(timeout=240)
    assert whole.returncode == 0, err_whole

    killed_entries = entries_of("search-killed")
    per_unit = Counter(e.metadata.unit_key for e in killed_entries)
    assert set(per_unit.values()) == {1}, "a unit stored before the kill was run again"
    assert before <= set(per_unit)
    calls = sum(len(e.metadata.items) for e in killed_entries)
    assert calls == sum(len(e.metadata.items) for e in entries_of("search-whole"))

    report, report_whole = json.loads(out), json.loads(out_whole)
    assert report["simulated"] is True
    assert report["archive"]["rows"]
    assert comparable(report) == comparable(report_whole)
    assert report["spent_usd"] == pytest.approx(report_whole["spent_usd"])
