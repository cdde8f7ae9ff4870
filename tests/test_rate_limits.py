"""Request rates as well as concurrency: windows shared by every call of the process, concurrency
that backs off under a storm of 429s and climbs back, and advice that names the request rate."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from mapelite.config.settings import Settings
from mapelite.providers.error_groups import group_errors
from mapelite.schemas import HarnessRunnerOptions
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from runners.calls import RequestWindow
from runners.local import LocalHarnessRunner
from tests.support.model_server_fixtures import server_settings

FREE = "openrouter/meta-llama/llama-3.2-3b-instruct:free"


async def test_a_window_admits_at_most_its_requests_in_any_window_across_loops() -> None:
    window = RequestWindow(5, 0.3)
    sent: list[float] = []

    async def calls(count: int) -> None:
        for _ in range(count):
            await window.wait_turn()
            sent.append(time.monotonic())

    # Two event loops in two threads share the one window, as two runners of a process do.
    await asyncio.gather(asyncio.to_thread(asyncio.run, calls(8)), calls(7))
    sent.sort()
    assert len(sent) == 15
    for index in range(len(sent) - 5):
        assert sent[index + 5] - sent[index] >= 0.3


async def test_concurrency_halves_under_a_429_storm_and_climbs_back(
    model_server: ModelServer, caplog: pytest.LogCaptureFixture
) -> None:
    model_server.script("m", ModelScript(fault_sequence=[Fault.rate_limit("0")] * 12))
    runner = LocalHarnessRunner(server_settings(model_server), limits={"openai": 8})
    options = HarnessRunnerOptions(bank="gen", items=60, retries=8, retry_delay_s=0)
    try:
        with caplog.at_level(logging.INFO, logger="mapelite.runners.local"):
            result = await runner.run(7, "openai/m", options)
        slots = runner.slots_for(runner.api_for("openai/m"))
    finally:
        await runner.aclose()
    assert all(item.error is None for item in result.metadata.items)
    messages = [record.getMessage() for record in caplog.records]
    assert any("concurrency lowered from 8 to 4" in m for m in messages)
    assert any("concurrency lowered" in m and "to 1" in m for m in messages)
    assert any("concurrency climbs back to 2 of 8" in m for m in messages)
    assert 1 < slots.allowed <= 8


async def test_429s_of_a_free_model_are_reported_as_a_request_rate_not_a_concurrency(
    model_server: ModelServer, tmp_path: Path
) -> None:
    config = tmp_path / "mapelite.toml"
    config.write_text(f'[models."{FREE}"]\nrate_limit = {{ requests = 50, window_s = 60 }}\n')
    # The server allows fewer requests than the configured window: it refuses the rest.
    model_server.script(FREE.split("/", 1)[1], ModelScript(rate_limit=(2, 60.0)))
    settings = server_settings(model_server, config_file=config)
    runner = LocalHarnessRunner(settings)
    try:
        result = await runner.run(0, FREE, HarnessRunnerOptions(retries=0))
    finally:
        await runner.aclose()
    assert sum(item.error is not None for item in result.metadata.items) == 4
    (group,) = group_errors([result], settings)
    assert "HTTP 429" in group.cause
    assert "requests per minute" in group.fix and "rate_limit" in group.fix
    assert "MAPELITE_PROVIDER_LIMITS" not in group.fix


def test_429s_of_a_model_without_a_rate_still_point_at_the_concurrency_limit() -> None:
    from mapelite.results import agent_result
    from mapelite.schemas import ItemOutcome

    failed = ItemOutcome(item_id="x", score=0, error="RateLimitedError: HTTP 429 from openai")
    result = agent_result(0, "openai/m", None, runner="local", items=[failed])
    (group,) = group_errors([result], Settings())
    assert "MAPELITE_PROVIDER_LIMITS" in group.fix
