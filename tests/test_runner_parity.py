"""The same swarm gives the same ledger on every runner: local, Temporal workers, NATS workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.ledger.chain import Ledger
from tests.support.server_fixtures import NatsServer, TemporalServer, spawn_worker, stop_process

pytestmark = [pytest.mark.temporal, pytest.mark.nats, pytest.mark.timeout(240)]

RUN_ID = "parity"
TASK_QUEUE = "parity-queue"


def ledger_shape(path: Path) -> list[tuple]:
    """What must not depend on the runner: the units, who ran them, in which role, scoring what."""
    return sorted(
        (
            e.metadata.unit_key,
            e.metadata.stage,
            e.metadata.agent,
            e.metadata.role,
            e.model,
            e.harness_id,
            e.scores.raw,
            e.scores.normalized,
            e.metadata.simulated,
        )
        for e in Ledger(path).read()
    )


async def test_the_same_swarm_gives_the_same_ledger_shape_on_every_runner(
    temporal_server: TemporalServer,
    nats_server: NatsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.swarm import swarm_flow

    server_env = {
        "MAPELITE_TEMPORAL_ADDRESS": temporal_server.address,
        "MAPELITE_TEMPORAL_TASK_QUEUE": TASK_QUEUE,
        "MAPELITE_NATS_URL": nats_server.url,
        "MAPELITE_HOME": os.environ["MAPELITE_HOME"],
    }
    for key, value in server_env.items():
        monkeypatch.setenv(key, value)
    workers = [
        spawn_worker("runners.temporal", ["--task-queue", TASK_QUEUE], server_env),
        spawn_worker("runners.nats", ["--concurrency", "16"], server_env),
    ]
    shapes: dict[str, list[tuple]] = {}
    runners: dict[str, set[str]] = {}
    try:
        for runner in ("local", "temporal", "nats"):
            home = tmp_path / runner
            home.mkdir()
            monkeypatch.setenv("MAPELITE_HOME", str(home))
            get_settings.cache_clear()
            result = await swarm_flow(
                ":10", "demo", harness="all", options=RunOptions(runner=runner, run_id=RUN_ID)
            )
            assert result.complete
            ledger = get_settings().ledger
            shapes[runner] = ledger_shape(ledger)
            runners[runner] = {e.metadata.runner for e in Ledger(ledger).read()}
    finally:
        for worker in workers:
            stop_process(worker)
        get_settings.cache_clear()

    assert len(shapes["local"]) == 8 * (8 + 1), "8 harnesses x (8 workers + 1 aggregator)"
    assert {role for _, _, _, role, *_ in shapes["local"]} == {"worker", "aggregator"}
    assert shapes["temporal"] == shapes["local"]
    assert shapes["nats"] == shapes["local"]
    assert runners == {"local": {"local"}, "temporal": {"temporal"}, "nats": {"nats"}}
