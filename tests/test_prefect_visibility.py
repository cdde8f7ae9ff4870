"""What a run shows in Prefect, read back through the Prefect client from a real API: the flow
run's name carries its run id, its logs the estimate and the result with the resume line, its
artifacts the result table; the report's artifacts show its plots."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from typing import Any

import pytest

from mapelite.testing.scripts import ModelScript
from tasks.flow_liveness import run_tag
from tests.flow_helpers import PYTHON, subprocess_env
from tests.support.model_server_fixtures import TEST_KEY

pytestmark = pytest.mark.prefect


async def flow_run_of(run_id: str) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[run_tag(run_id)]))
        )
    assert len(runs) == 1, runs
    return runs[0]


async def log_messages(flow_run_id: Any, wanted: str, timeout_s: float = 30.0) -> list[str]:
    """The flow run's log messages, once one containing ``wanted`` arrived (logs are shipped
    in the background)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    messages: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with get_client() as client:
        while loop.time() < deadline:
            logs = await client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            )
            messages = [log.message for log in logs]
            if any(wanted in m for m in messages):
                break
            await asyncio.sleep(0.5)
    return messages


async def artifacts(key_or_prefix: str, flow_run_id: Any = None) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_=key_or_prefix))
        )
    return [a for a in found if flow_run_id is None or a.flow_run_id == flow_run_id]


async def test_a_swarms_flow_run_is_named_for_its_run_id_and_shows_estimate_result_and_table(
    prefect_api, model_server
) -> None:
    model_server.script("*", ModelScript(latency_s=0.0))
    env = subprocess_env(
        PREFECT_API_URL=prefect_api,
        PREFECT_LOGGING_TO_API_ENABLED="true",  # Prefect's default; the test suite turns it off
        MAPELITE_OPENROUTER_BASE_URL=model_server.base_url,
        MAPELITE_OPENROUTER_API_KEY=TEST_KEY,
        MAPELITE_PREFECT_GLOBAL_LIMITS="false",
    )
    command = [PYTHON, "-m", "flows.swarm", ":10", "--tier", "tier1", "--harness", "0"]
    done = await asyncio.to_thread(
        subprocess.run,
        [*command, "--run-id", "visible-1", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    flow_run = await flow_run_of("visible-1")
    assert flow_run.name == "swarm :10 tier1 · visible-1"

    messages = await log_messages(flow_run.id, "to resume")
    assert any(m.startswith("cost estimate: ") for m in messages), messages
    assert any(m.startswith("stage 1/2 (worker x") for m in messages), messages
    assert any(re.match(r"stage 2/2 aggregator x1: 1/1 harness runs, ", m) for m in messages)
    assert any(m.startswith("result: swarm score ") for m in messages), messages
    assert "run id visible-1 (re-run with --run-id visible-1 to resume)" in messages

    [table] = await artifacts("swarm-10-tier1", flow_run.id)
    assert table.type == "markdown"
    assert "| stage | role | agents |" in table.data and "`visible-1`" in table.data


async def test_the_reports_artifacts_show_its_plots_and_readable_tables(prefect_api) -> None:
    import base64

    from flows.report import PLOT_ARTIFACT_PREFIX, report_flow
    from mapelite.config.settings import get_settings
    from tests.test_profiles import write_scenario_ledger

    write_scenario_ledger(get_settings().ledger)
    summary = await asyncio.to_thread(report_flow)
    plot_keys = [k for k in summary["artifacts"] if k.startswith(PLOT_ARTIFACT_PREFIX)]
    assert len(plot_keys) == 2, summary["artifacts"]
    for key in plot_keys:
        [latest, *_] = sorted(await artifacts(key), key=lambda a: a.created, reverse=True)
        assert latest.type == "markdown"
        data = latest.data.split("data:image/png;base64,", 1)[1].split(")", 1)[0]
        assert base64.b64decode(data).startswith(b"\x89PNG"), "the artifact shows the image"
    [models, *_] = sorted(
        await artifacts("mapelite-model-profiles"), key=lambda a: a.created, reverse=True
    )
    rows = json.loads(models.data) if isinstance(models.data, str) else models.data
    assert rows, "the model table has rows"
    for row in rows:
        for value in row.values():
            assert not isinstance(value, float) or len(repr(value)) <= 12, row
