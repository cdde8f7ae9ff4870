"""LocalHarnessRunner under faults: rate limits, hangs, malformed bodies, secrets."""

from __future__ import annotations

import itertools
import json
import logging
import time

import pytest

from mapelite.harnesses import get_harness
from mapelite.schemas import HarnessRunnerOptions
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, FaultKind, ModelScript
from runners.local import LocalHarnessRunner
from tests.support.model_server_fixtures import TEST_KEY, server_settings

ITEMS = len(get_harness(0).items)


async def batch(server: ModelServer, models: list[str], options, **kw):
    runner = LocalHarnessRunner(server_settings(server), **kw)
    try:
        return await runner.run_batch(0, models, options)
    finally:
        await runner.aclose()


async def test_rate_limited_batch_completes_honouring_retry_after_within_the_limit(
    model_server: ModelServer,
):
    model_server.script("*", ModelScript(fault=Fault.rate_limit("1"), fault_rate=0.3, seed=3))
    models = [f"openai/m{i}" for i in range(64)]
    options = HarnessRunnerOptions(timeout_s=60, retries=10, retry_delay_s=0.01)
    results = await batch(model_server, models, options, limits={"openai": 8})

    assert [r.model for r in results] == models
    assert all(r.metadata.error is None for r in results)
    assert all(r.scores.normalized == pytest.approx(1.0) for r in results)
    assert model_server.total_stats().max_in_flight <= 8
    rate_limited = 0
    for model in models:
        by_call: dict[str, list] = {}
        for entry in model_server.stats(model.split("/", 1)[1]).log:
            by_call.setdefault(entry.key, []).append(entry)
        for entries in by_call.values():
            entries.sort(key=lambda e: e.arrival_s)
            for before, after in itertools.pairwise(entries):
                assert before.status == 429  # only a 429 is ever followed by a retry
                assert after.arrival_s - before.arrival_s >= 1.0 - 0.01
                rate_limited += 1
    assert rate_limited > 50  # ~30% of 384 calls, so the check above really ran
    assert sum(r.metadata.attempts for r in results) == 64 * ITEMS + rate_limited


async def test_hanging_call_is_cut_at_the_call_timeout_and_retried_then_fails(
    model_server: ModelServer,
):
    model_server.script("slow", ModelScript(fault=Fault.hang(20), fault_rate=1.0))
    options = HarnessRunnerOptions(timeout_s=30, call_timeout_s=0.5, retries=2, retry_delay_s=0.01)
    started = time.monotonic()
    [result] = await batch(model_server, ["openai/slow"], options)
    elapsed = time.monotonic() - started

    meta = result.metadata
    assert result.scores.normalized == 0 and result.scores.raw == 0
    assert meta.error is not None and meta.error.startswith("ProviderTimeoutError: ")
    assert "after 3 attempts" in meta.error
    assert meta.attempts == 3 * ITEMS
    assert 1.5 - 0.1 <= elapsed <= 1.5 + 2.0
    for entries in group_by_call(model_server.stats("slow").log):
        gaps = [b.arrival_s - a.arrival_s for a, b in itertools.pairwise(entries)]
        assert len(gaps) == 2
        assert all(0.5 - 0.05 <= gap <= 0.5 + 1.0 for gap in gaps)


async def test_run_timeout_cuts_the_whole_harness_run(model_server: ModelServer):
    model_server.script("slow", ModelScript(fault=Fault.hang(20), fault_rate=1.0))
    options = HarnessRunnerOptions(timeout_s=1.0, call_timeout_s=0.4, retries=5, retry_delay_s=0)
    started = time.monotonic()
    [result] = await batch(model_server, ["openai/slow"], options)
    elapsed = time.monotonic() - started
    assert 1.0 - 0.1 <= elapsed <= 1.0 + 1.0
    assert result.scores.normalized == 0
    assert result.metadata.error is not None
    assert result.metadata.error.startswith("ProviderTimeoutError: ")
    assert "timeout of 1 s" in result.metadata.error


def group_by_call(log) -> list[list]:
    by_call: dict[str, list] = {}
    for entry in log:
        by_call.setdefault(entry.key, []).append(entry)
    return [sorted(entries, key=lambda e: e.arrival_s) for entries in by_call.values()]


async def test_malformed_bodies_fail_their_run_with_a_clear_error_and_the_batch_goes_on(
    model_server: ModelServer,
):
    faults: list[tuple[str, FaultKind]] = [
        ("json", "malformed_json"),
        ("html", "html"),
        ("empty", "empty_choices"),
    ]
    for name, kind in faults:
        model_server.script(name, ModelScript(fault=Fault(kind), fault_rate=1.0))
    options = HarnessRunnerOptions(timeout_s=20, retries=1, retry_delay_s=0.01)
    results = await batch(
        model_server, ["openai/json", "openai/html", "openai/empty", "openai/fine"], options
    )
    errors = [r.metadata.error or "" for r in results]
    assert errors[0].startswith("BadResponseError: ") and "not JSON" in errors[0]
    assert errors[1].startswith("BadResponseError: ") and "HTML page" in errors[1]
    assert errors[2].startswith("BadResponseError: ") and "no choices" in errors[2]
    assert errors[3] == ""
    assert [r.scores.normalized for r in results] == [0, 0, 0, pytest.approx(1.0)]
    assert all(r.metadata.attempts == 2 * ITEMS for r in results[:3])


async def test_auth_failure_is_not_retried():
    with ModelServer(require_key="another-key") as server:
        options = HarnessRunnerOptions(timeout_s=20, retries=3, retry_delay_s=0.01)
        [result] = await batch(server, ["openrouter/meta-llama/llama-3.2-1b-instruct"], options)
    assert result.metadata.attempts == ITEMS
    assert result.metadata.error is not None
    assert result.metadata.error.startswith("AuthError: ")
    assert "MAPELITE_OPENROUTER_API_KEY" in result.metadata.error


async def test_api_key_never_appears_in_results_errors_or_logs(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
):
    caplog.set_level(logging.DEBUG)
    model = "openrouter/meta-llama/llama-3.2-1b-instruct"
    options = HarnessRunnerOptions(timeout_s=20, retries=2, retry_delay_s=0.01)
    with ModelServer(require_key="another-key") as server:  # echoes the presented key back
        rejected = await batch(server, [model], options)
    with ModelServer(require_key=TEST_KEY) as server:
        server.script(
            "*", ModelScript(fault_sequence=[Fault("server_error"), Fault.rate_limit("0")])
        )
        accepted = await batch(server, [model], options)

    assert rejected[0].failed and not accepted[0].failed
    assert "retrying" in caplog.text  # the retry path was logged, and checked below
    dumped = json.dumps([r.model_dump(mode="json") for r in rejected + accepted])
    captured = capfd.readouterr()
    for text in (dumped, caplog.text, captured.out, captured.err):
        assert TEST_KEY not in text
        assert TEST_KEY[-12:] not in text
