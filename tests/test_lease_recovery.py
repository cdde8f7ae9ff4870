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
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import ModelScript
from tasks.leases import short_lease
from tests.flow_helpers import PYTHON, subprocess_env
from tests.test_resume import ledger_lines, start_swarm

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
    # The fault: the killed process kept its slots of the `openrouter` limit, and the resume
    # sized its lease by the slots free before it released them: its first stage ran one call
    # at a time. Here the test API never expires a lease, and :10's second stage has fewer
    # calls than the limit: only the resumed first stage can reach it.
    model_server.script("*", ModelScript(latency_s=0.3))
    limit = 8
    first = start_swarm(
        "lease-swarm", model_server.base_url, prefect_api, global_limits=True, pattern=":10"
    )
    deadline = time.monotonic() + 120
    while ledger_lines() < 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    first.kill()  # SIGKILL while it holds the first stage's lease
    first.wait(timeout=30)
    assert first.returncode == -9, "killed mid-run, not finished"
    recorded = Ledger(get_settings().ledger).results_for_run("lease-swarm")
    assert 2 <= len(recorded) < 8, "killed in the first stage"
    assert await configured_limit("openrouter") == limit
    assert await active_slots("openrouter") == limit, "the dead process still holds its slots"
    time.sleep(0.6)  # the killed process's calls in flight end at the server
    model_server.reset_stats()

    second = start_swarm(
        "lease-swarm", model_server.base_url, prefect_api, global_limits=True, pattern=":10"
    )
    seconds_to_full = seconds_until_in_flight(model_server, limit, second)
    output, _ = second.communicate(timeout=300)

    assert second.returncode == 0, output
    assert "Traceback" not in output
    items = len(get_harness(0).items)
    assert model_server.total_stats().requests == (9 - len(recorded)) * items, "none twice"
    assert seconds_to_full is not None, f"never {limit} calls at once at the model server"
    assert seconds_to_full < 5, f"{seconds_to_full:.1f} s from the first call to full concurrency"
    assert await active_slots("openrouter") == 0, "the resume gave back what it took"


async def configured_limit(name: str) -> int:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return int((await client.read_global_concurrency_limit_by_name(name)).limit)


def seconds_until_in_flight(
    server: ModelServer, wanted: int, process: subprocess.Popen[str]
) -> float | None:
    """Seconds from the first model call the server received to the first moment it had
    ``wanted`` calls in flight at once (polled every 5 ms while ``process`` runs)."""
    while process.poll() is None:
        stats = server.total_stats()
        if stats.first_arrival_s is not None and stats.in_flight >= wanted:
            return time.monotonic() - stats.first_arrival_s
        time.sleep(0.005)
    return None
