"""A run's errors grouped by cause, with counts and the setting that fixes them."""

from __future__ import annotations

import socket

from mapelite.harnesses import get_harness
from mapelite.providers.error_groups import error_report_lines, group_errors
from mapelite.schemas import HarnessRunnerOptions
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from runners.local import LocalHarnessRunner
from tests.support.model_server_fixtures import server_settings

ITEMS = len(get_harness(0).items)
OPTIONS = HarnessRunnerOptions(timeout_s=30, retries=0)


async def test_refused_keys_on_every_call_are_one_group_naming_the_key_setting(
    model_server: ModelServer,
):
    model_server.script("*", ModelScript(fault=Fault("auth"), fault_rate=1.0))
    settings = server_settings(model_server)
    models = [f"openrouter/vendor/m{i}" for i in range(10)]
    runner = LocalHarnessRunner(settings)
    try:
        results = await runner.run_batch(0, models, OPTIONS)
    finally:
        await runner.aclose()
    assert model_server.total_stats().requests == 10 * ITEMS
    assert error_report_lines(results, settings) == [
        f"HTTP 401 from openrouter × 10 harness runs ({10 * ITEMS} items): "
        "check MAPELITE_OPENROUTER_API_KEY (or OPENROUTER_API_KEY)"
    ]


async def test_causes_are_grouped_apart_and_clean_runs_are_not_counted(model_server: ModelServer):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    model_server.script("broken", ModelScript(fault=Fault("server_error"), fault_rate=1.0))
    model_server.script("half", ModelScript(fault_sequence=[Fault("server_error")] * (ITEMS // 2)))
    settings = server_settings(model_server, ollama_base_url=closed)
    runner = LocalHarnessRunner(settings)
    try:
        results = await runner.run_batch(
            0, ["openai/broken", "openai/half", "openai/fine", "ollama/gone"], OPTIONS
        )
    finally:
        await runner.aclose()
    groups = {g.cause: g for g in group_errors(results, settings)}
    assert set(groups) == {"HTTP 500 from openai", "ollama unreachable"}
    assert (groups["HTTP 500 from openai"].runs, groups["HTTP 500 from openai"].items) == (
        2,
        ITEMS + ITEMS // 2,
    )
    gone = groups["ollama unreachable"]
    assert (gone.runs, gone.items) == (1, ITEMS)
    assert gone.fix.startswith("set MAPELITE_OLLAMA_BASE_URL or start the server")
    assert gone.line().startswith("ollama unreachable × 1 harness run")


def test_a_runs_groups_count_only_its_latest_entries_and_its_exit_code_says_so(
    tmp_path, model_server: ModelServer
):
    from mapelite.errors import EXIT_COMPLETED_WITH_ERRORS, EXIT_OK
    from mapelite.ledger.chain import Ledger
    from mapelite.providers.error_groups import exit_code_for, run_error_groups
    from mapelite.schemas import HarnessResult, ItemOutcome, ResultMetadata, Scores

    def unit(error: str | None) -> HarnessResult:
        items = [ItemOutcome(item_id="a", score=0 if error else 1, error=error)]
        return HarnessResult(
            harness_id=0,
            harness_name="SENSE",
            model="openrouter/v/m",
            scores=Scores(raw=0 if error else 1, normalized=0 if error else 1),
            metadata=ResultMetadata(run_id="run", unit_key="u1", items=items, error=error),
        )

    failed = unit("RateLimitedError: openrouter rate-limited the call (HTTP 429)")
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(failed)
    settings = server_settings(model_server)
    [group] = run_error_groups(ledger.path, "run", settings)
    assert group.line().startswith("HTTP 429 from openrouter × 1 harness run (1 item): lower")
    assert exit_code_for([failed]) == EXIT_COMPLETED_WITH_ERRORS
    ledger.append(unit(None))  # the resume's entry supersedes the failed one
    assert run_error_groups(ledger.path, "run", settings) == []
    assert exit_code_for(ledger.results_for_run("run").values()) == EXIT_OK
