"""Global-limit slots held by a process killed with SIGKILL come back at once on the same
machine (real Prefect API): in a lease taken directly, and in the shape the fault was found, a
swarm killed mid-stage and resumed from the command line. From another machine they come back
when the short lease expires and the server's repossessor runs; the test harness's API runs no
repossessor, so that path is not exercised here."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid

import pytest

from mapelite.config.settings import get_settings
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.testing.scripts import ModelScript
from tasks.leases import short_lease
from tests.flow_helpers import PYTHON, subprocess_env
from tests.test_resume import UNITS, ledger_lines, start_swarm

pytestmark = pytest.mark.prefect
SLOTS = 4

HOLDER = """
import asyncio, sys
from tasks.limits import ProviderLeases

async def main():
    async with ProviderLeases(enabled=True).hold({sys.argv[1]: int(sys.argv[2])}) as held:
        print("held", held, flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


async def make_limit(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    async with get_client() as client:
        await client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=SLOTS, active=True)
        )


async def active_slots(name: str) -> int:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return int((await client.read_global_concurrency_limit_by_name(name)).active_slots)


def start_holder(prefect_api: str, name: str, **env: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [PYTHON, "-c", HOLDER, name, str(SLOTS)],
        env=subprocess_env(PREFECT_API_URL=prefect_api, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert holder.stdout is not None
    line = holder.stdout.readline()
    assert line.startswith("held"), line
    return holder


async def seconds_to_take_every_slot(name: str, limit_s: float) -> float:
    started = time.monotonic()
    async with asyncio.timeout(limit_s):
        async with short_lease(name, SLOTS):
            assert await active_slots(name) == SLOTS
    return time.monotonic() - started


async def test_a_killed_holders_slots_come_back_at_once_on_the_same_machine(prefect_api):
    name = f"lease-kill-{uuid.uuid4().hex[:8]}"
    await make_limit(name)
    holder = start_holder(prefect_api, name)
    assert await active_slots(name) == SLOTS
    holder.kill()  # SIGKILL: the holder releases nothing
    holder.wait(timeout=10)

    took = await seconds_to_take_every_slot(name, 60)
    assert took < 5, f"the dead process's lease was released when the next one was taken ({took})"
    assert await active_slots(name) == 0


async def test_a_swarm_killed_mid_stage_resumes_at_full_concurrency_with_global_limits(
    prefect_api, model_server
):
    # The fault: the killed process kept its slots of the `openrouter` limit, so the resume waited
    # for them (307 s) and then ran stage 1 one call at a time. Here the test API never expires a
    # lease: a resume that waited for the dead process's slots would never finish.
    model_server.script("*", ModelScript(latency_s=0.15))
    first = start_swarm("lease-swarm", model_server.base_url, prefect_api, global_limits=True)
    deadline = time.monotonic() + 120
    while ledger_lines() < 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    first.kill()  # SIGKILL while it holds the stage's lease
    first.wait(timeout=30)
    assert first.returncode == -9, "killed mid-run, not finished"
    recorded = Ledger(get_settings().ledger).results_for_run("lease-swarm")
    assert 3 <= len(recorded) < UNITS
    assert await active_slots("openrouter") > 0, "the dead process still holds its slots"
    model_server.reset_stats()

    second = start_swarm("lease-swarm", model_server.base_url, prefect_api, global_limits=True)
    output, _ = second.communicate(timeout=300)

    assert second.returncode == 0, output
    assert "Traceback" not in output
    items = len(get_harness(0).items)
    assert model_server.total_stats().requests == (UNITS - len(recorded)) * items, "none twice"
    assert model_server.total_stats().max_in_flight > 1, "not one call at a time"
    assert await active_slots("openrouter") == 0, "the resume gave back what it took"
