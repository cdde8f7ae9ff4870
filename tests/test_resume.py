"""Durable resume: a swarm killed mid-way (SIGKILL) completes on re-run with the same run id,
without a second model call for any unit already in the ledger."""

from __future__ import annotations

import subprocess
import time
from collections import Counter

import pytest

from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.testing.scripts import ModelScript
from tests.flow_helpers import PYTHON, subprocess_env
from tests.support.model_server_fixtures import TEST_KEY

pytestmark = pytest.mark.prefect
UNITS = 8 + 1 + 8 + 1  # :1010 on one harness


def start_swarm(
    run_id: str,
    server_url: str,
    prefect_api: str,
    *,
    global_limits: bool = False,
    pattern: str = ":1010",
) -> subprocess.Popen[str]:
    env = subprocess_env(
        PREFECT_API_URL=prefect_api,
        MAPELITE_OPENROUTER_BASE_URL=server_url,
        MAPELITE_OPENROUTER_API_KEY=TEST_KEY,
        MAPELITE_PREFECT_GLOBAL_LIMITS="true" if global_limits else "false",
    )
    command = [PYTHON, "-m", "flows.swarm", pattern, "--tier", "tier1", "--harness", "0"]
    command += ["--bank", "core"]
    return subprocess.Popen(
        [*command, "--run-id", run_id, "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def ledger_lines() -> int:
    path = get_settings().ledger
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_killed_swarm_resumes_without_paying_twice(prefect_api, model_server) -> None:
    model_server.script("*", ModelScript(latency_s=0.15))
    first = start_swarm("resume-1", model_server.base_url, prefect_api)
    deadline = time.monotonic() + 90
    while ledger_lines() < 10 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    first.kill()  # SIGKILL: no cleanup runs
    first.wait(timeout=30)
    assert first.returncode == -9, "the run must be killed mid-way, not finish"
    ledger = Ledger(get_settings().ledger)
    recorded = ledger.results_for_run("resume-1")
    assert 10 <= len(recorded) < UNITS
    requests_before = model_server.total_stats().requests

    second = start_swarm("resume-1", model_server.base_url, prefect_api)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    assert "reused" in output

    entries = [e for e in ledger.read() if e.metadata.run_id == "resume-1"]
    per_unit = Counter(e.metadata.unit_key for e in entries)
    assert len(per_unit) == UNITS and set(per_unit.values()) == {1}
    assert ledger.verify().valid
    items = len(get_harness(0).items)
    # Every request of the re-run belongs to a unit that was not recorded before the kill.
    assert model_server.total_stats().requests - requests_before == (UNITS - len(recorded)) * items
    for key, result in recorded.items():
        assert per_unit[key] == 1 and result.hash in {e.hash for e in entries}


LEAD = "openrouter/openai/gpt-5-nano"  # in tier1 but not among the first 8 (the workers)


async def test_failed_aggregator_reruns_on_the_recorded_worker_answers(
    prefect_api, model_server, monkeypatch
) -> None:
    from flows.swarm import swarm_flow
    from mapelite.testing.scripts import Fault
    from tests.flow_helpers import ledger_entries, use_model_server

    use_model_server(monkeypatch, model_server)
    lead_name = LEAD.split("/", 1)[1]
    model_server.script(lead_name, ModelScript(fault=Fault("server_error"), fault_rate=1.0))
    first = await swarm_flow(
        ":10",
        "tier1",
        harness="0",
        lead=LEAD,
        options=RunOptions(run_id="agg", retries=0, bank="core"),
    )
    assert first.stages[1].failed == 1
    worker_requests = model_server.total_stats().requests - model_server.stats(lead_name).requests

    seen: list[str] = []

    def answer(request) -> str:  # records what the aggregator was shown
        seen.append(request.user_text)
        return "an answer"

    model_server.script(lead_name, ModelScript(answer=answer))
    second = await swarm_flow(
        ":10",
        "tier1",
        harness="0",
        lead=LEAD,
        options=RunOptions(run_id="agg", retries=0, bank="core"),
    )

    items = len(get_harness(0).items)
    after = model_server.total_stats().requests - model_server.stats(lead_name).requests
    assert after == worker_requests, "no worker was called again"
    assert len(seen) == items and second.stages[0].reused == 8
    assert second.stages[1].failed == 0 and second.complete
    aggregators = [e for e in ledger_entries() if e.metadata.role == "aggregator"]
    assert [a.failed for a in aggregators] == [True, False], "failed units are re-run on resume"


async def test_a_failed_workers_error_text_never_reaches_the_aggregator(
    prefect_api, model_server, monkeypatch
) -> None:
    from flows.swarm import swarm_flow
    from mapelite.catalog.models import load_catalog
    from mapelite.testing.scripts import Fault
    from tests.flow_helpers import use_model_server

    use_model_server(monkeypatch, model_server)
    broken = load_catalog().tier("tier1")[1].split("/", 1)[1]
    model_server.script(broken, ModelScript(fault=Fault("server_error"), fault_rate=1.0))
    seen: list[str] = []

    def answer(request) -> str:
        seen.append(request.user_text)
        return "an answer"

    model_server.script(LEAD.split("/", 1)[1], ModelScript(answer=answer))
    result = await swarm_flow(
        ":10",
        "tier1",
        harness="0",
        lead=LEAD,
        options=RunOptions(run_id="err", retries=0, bank="core"),
    )

    assert result.stages[0].failed == 1 and result.stages[1].failed == 0
    assert seen and all("500" not in text and "error" not in text.lower() for text in seen)
