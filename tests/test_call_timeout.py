"""The per-call timeout is separate from the harness run's: a hung call is cut at the call
timeout and retried like a 5xx, well inside the run's timeout."""

from __future__ import annotations

import time

from mapelite.harnesses import get_harness
from mapelite.ledger.outcomes import coverage
from mapelite.schemas import DEFAULT_CALL_TIMEOUT_S, HarnessRunnerOptions
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from runners.local import LocalHarnessRunner
from tests.support.model_server_fixtures import server_settings

ITEMS = len(get_harness(0).items)


def test_the_default_call_timeout_leaves_room_for_retries_within_the_run():
    options = HarnessRunnerOptions()
    assert options.per_call_timeout_s == DEFAULT_CALL_TIMEOUT_S
    backoff = sum(options.retry_delay_s * 2**n for n in range(options.retries))
    attempts = options.retries + 1
    assert attempts * options.per_call_timeout_s + backoff < options.timeout_s
    short_run = HarnessRunnerOptions(timeout_s=10)
    assert short_run.per_call_timeout_s == 10, "a call never outlives its run"


async def test_a_call_that_hangs_once_is_retried_and_the_item_is_scored(model_server: ModelServer):
    # Every item's first call hangs far past the call timeout; the retry answers at once. The
    # retries wait 1-2 s, so on a loaded machine too every first call has arrived before them (the
    # hangs are the model's first ITEMS requests).
    model_server.script("m", ModelScript(fault_sequence=[Fault.hang(60)] * ITEMS))
    options = HarnessRunnerOptions(timeout_s=60, call_timeout_s=0.5, retries=2, retry_delay_s=1)
    runner = LocalHarnessRunner(server_settings(model_server))
    started = time.monotonic()
    try:
        result = await runner.run(0, "openai/m", options)
    finally:
        await runner.aclose()
    elapsed = time.monotonic() - started

    assert result.metadata.error is None
    assert coverage(result).fraction == 1.0
    assert result.metadata.attempts == 2 * ITEMS
    assert model_server.stats("m").requests == 2 * ITEMS, "counted at the server"
    hung = [e for e in model_server.stats("m").log if e.fault == "hang"]
    assert len(hung) == ITEMS and all(e.status == 499 for e in hung), "the client gave up"
    assert elapsed < 0.5 + 2 + 5, "the run did not wait for the hung calls (60 s)"
