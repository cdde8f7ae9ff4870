"""A resumed run id marks its earlier flow runs that were killed (SIGKILL) as Crashed, against a
real Prefect API; the resumed flow run itself completes."""

from __future__ import annotations

import time

import pytest

from mapelite.config.settings import get_settings
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.testing.scripts import ModelScript
from tasks.flow_liveness import holder_is_gone, process_tag, run_tag
from tests.test_resume import UNITS, ledger_lines, start_swarm

pytestmark = pytest.mark.prefect


def test_this_process_is_alive_and_an_unknown_pid_is_gone():
    assert not holder_is_gone([process_tag()])
    assert holder_is_gone([process_tag(pid=2**22 + 12345)])
    assert not holder_is_gone(["mapelite-pid:another-host:1:1"]), "other machines: unknown"
    assert not holder_is_gone(["unrelated"])


async def flow_runs_of(run_id: str) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[run_tag(run_id)]))
        )
    return {str(run.id): run.state.type.value if run.state else "NONE" for run in runs}


async def test_a_killed_swarms_flow_run_is_marked_crashed_when_its_run_id_resumes(
    prefect_api, model_server
):
    model_server.script("*", ModelScript(latency_s=0.15))
    first = start_swarm("liveness-1", model_server.base_url, prefect_api)
    deadline = time.monotonic() + 90
    while ledger_lines() < 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    first.kill()
    first.wait(timeout=30)
    assert first.returncode == -9
    before = await flow_runs_of("liveness-1")
    assert list(before.values()) == ["RUNNING"], "the killed flow run stays RUNNING by itself"

    recorded = Ledger(get_settings().ledger).results_for_run("liveness-1")
    model_server.reset_stats()

    second = start_swarm("liveness-1", model_server.base_url, prefect_api)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    assert "Traceback" not in output
    items = len(get_harness(0).items)
    assert model_server.total_stats().requests == (UNITS - len(recorded)) * items

    after = await flow_runs_of("liveness-1")
    killed = next(iter(before))
    assert after[killed] == "CRASHED"
    assert sorted(after.values()) == ["COMPLETED", "CRASHED"]
    assert Ledger(get_settings().ledger).verify().valid
