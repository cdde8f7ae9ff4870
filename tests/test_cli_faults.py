"""Faults found by running the command line as a user would, each tested in the shape it was
found: a real `map-elite` process, the project's model server for HTTP faults (model calls
counted there), the real file system, and the ledger's sha256 where nothing may be written.

`run` with a ledger that is a directory or edited in the middle: tests/test_cli_run.py;
`models refresh` refused, catalog and MAPELITE_HOME errors, `eval ollama/x` with no server:
tests/test_one_line_errors.py; an unwritable ledger in swarm: tests/test_run_integrity.py.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import get_settings
from mapelite.errors import (
    EXIT_COMPLETED_WITH_ERRORS,
    EXIT_INPUT,
    EXIT_LEDGER,
    EXIT_OK,
    EXIT_PROVIDER,
)
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.ledger.outcomes import coverage, scored_mean
from mapelite.schemas import HarnessResult, ResultMetadata, Scores
from mapelite.testing.model_server import ModelServer, RequestLog
from mapelite.testing.scripts import Fault, ModelScript
from tests.flow_helpers import map_elite, one_error_line, sha256_of
from tests.support.model_server_fixtures import TEST_KEY

pytestmark = pytest.mark.prefect

ITEMS = len(get_harness(0).items)
TIER1 = len(load_catalog().tier("tier1"))  # the shipped catalog
EVAL_MODEL = "openrouter/openai/gpt-5-nano"
# Every call of a run at once: the order in which a model's requests reach the server (and so
# which of them a fault sequence hits) is then the order in which the items were started.
ALL_AT_ONCE = json.dumps({"openrouter": 64})

FLOW_COMMANDS = {
    "swarm": ["swarm", ":10", "--tier", "tier1", "-H", "0", "--yes", "--bank", "core"],
    "batch": ["batch", "tier1", "-H", "0", "--yes", "--bank", "core"],
    "eval": ["eval", EVAL_MODEL, "-H", "0", "--yes", "--bank", "core"],
}


def server_env(server: ModelServer, **more: str) -> dict[str, str]:
    return {
        "MAPELITE_OPENROUTER_BASE_URL": server.base_url,
        "MAPELITE_OPENROUTER_API_KEY": TEST_KEY,
        "MAPELITE_PREFECT_GLOBAL_LIMITS": "false",
        **more,
    }


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def earlier_entry() -> HarnessResult:
    return HarnessResult(
        harness_id=0,
        harness_name="SENSE",
        model=EVAL_MODEL,
        scores=Scores(raw=6, normalized=1),
        metadata=ResultMetadata(run_id="earlier", unit_key="earlier/s0/a0/h0"),
    )


def server_log(server: ModelServer) -> list[RequestLog]:
    """Every model call the server received (tier1's models and the eval model)."""
    models = {m.split("/", 1)[1] for m in [*load_catalog().tier("tier1"), EVAL_MODEL]}
    return [entry for model in sorted(models) for entry in server.stats(model).log]


def estimated_calls(stdout: str) -> int:
    found = re.search(r"cost estimate[^:]*: (\d+) model calls", stdout)
    assert found, stdout
    return int(found.group(1))


# -- fault 5 and 7: a ledger that does not verify is refused before anything is printed ----------


@pytest.mark.parametrize("command", FLOW_COMMANDS, ids=str)
def test_a_ledger_edited_in_the_middle_is_refused_before_the_run_id_or_any_call(
    prefect_api, model_server, command: str
) -> None:
    ledger = Ledger(get_settings().ledger)
    ledger.append_many([earlier_entry()] * 9)
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b'"earlier"', b'"earlieR"', 1)  # one byte, in the middle
    ledger.path.write_bytes(b"".join(lines))
    before = sha256_of(ledger.path)

    done = map_elite(*FLOW_COMMANDS[command], prefect_api=prefect_api, **server_env(model_server))

    assert done.returncode == EXIT_LEDGER
    line = one_error_line(done)  # nothing before it: no run id, no estimate
    assert f"ledger {ledger.path} does not verify at line 4" in line
    assert model_server.total_stats().requests == 0 and model_server.check_requests() == 0
    assert sha256_of(ledger.path) == before, "nothing appended"


# -- fault 6 and a refused key: the preflight, one line, nothing called or written -------------


def test_a_batch_against_an_unreachable_model_server_is_one_line_exit_4(prefect_api) -> None:
    ledger = Ledger(get_settings().ledger)
    ledger.append(earlier_entry())
    before = sha256_of(ledger.path)
    url = closed_port_url()
    env = {"MAPELITE_OPENROUTER_BASE_URL": url, "MAPELITE_OPENROUTER_API_KEY": TEST_KEY}

    done = map_elite("batch", "tier1", "-H", "0", "--yes", prefect_api=prefect_api, **env)

    assert done.returncode == EXIT_PROVIDER
    assert one_error_line(done) == (
        f"error: openrouter at {url} is unreachable: set MAPELITE_OPENROUTER_BASE_URL or check "
        "the network"
    )
    assert sha256_of(ledger.path) == before


def test_a_wrong_openrouter_key_on_batch_is_one_line_naming_the_key_setting_exit_4(
    prefect_api,
) -> None:
    ledger = Ledger(get_settings().ledger)
    ledger.append(earlier_entry())
    before = sha256_of(ledger.path)
    with ModelServer(require_key="the-right-key") as server:
        done = map_elite(
            "batch", "tier1", "-H", "0", "--yes", prefect_api=prefect_api, **server_env(server)
        )
        calls, checks = server.total_stats().requests, server.check_requests("/v1/key")

    assert done.returncode == EXIT_PROVIDER
    line = one_error_line(done)
    assert "refused the key (HTTP 401)" in line and "MAPELITE_OPENROUTER_API_KEY" in line
    assert TEST_KEY not in done.stdout + done.stderr
    assert (calls, checks) == (0, 1), "one check request, no model call"
    assert sha256_of(ledger.path) == before


def test_a_negative_catalog_price_stops_a_batch_with_one_line_exit_2(
    prefect_api, mapelite_home: Path
) -> None:
    override = mapelite_home / "catalog.json"
    models = [{"id": "openrouter/x/cheap", "input_price_per_m": -1}]
    override.write_text(json.dumps({"models": models, "tiers": {}}))

    done = map_elite("batch", "tier1", "-H", "0", "--yes", prefect_api=prefect_api)

    assert done.returncode == EXIT_INPUT
    line = one_error_line(done)
    assert str(override) in line and "input_price_per_m" in line
    assert not get_settings().ledger.exists()


# -- errors are not scores: a third of the calls fail with 500 after retries ---------------------


def test_a_batch_where_a_third_of_the_calls_fail_exits_5_with_the_errors_grouped(
    prefect_api, model_server
) -> None:
    failing = ITEMS // 3
    # Each model: the first `failing` first attempts answer 500, and so do their one retry each.
    sequence = [Fault("server_error")] * failing + [None] * (ITEMS - failing)
    model_server.script(
        "*", ModelScript(fault_sequence=sequence + [Fault("server_error")] * failing)
    )

    done = map_elite(
        "batch", "tier1", "-H", "0", "--yes", "--retries", "1", "--run-id", "third",
        "--bank", "core",
        prefect_api=prefect_api, **server_env(model_server, MAPELITE_PROVIDER_LIMITS=ALL_AT_ONCE),
    )  # fmt: skip

    assert done.returncode == EXIT_COMPLETED_WITH_ERRORS, done.stdout + done.stderr
    assert model_server.total_stats().requests == TIER1 * (ITEMS + failing)
    assert model_server.check_requests() == 1, "one preflight request per endpoint and run"
    stored = Ledger(get_settings().ledger).results_for_run("third")
    assert len(stored) == TIER1
    for result in stored.values():
        assert (coverage(result).scored, coverage(result).total) == (ITEMS - failing, ITEMS)
    out = done.stdout.splitlines()
    scored, total = TIER1 * (ITEMS - failing), TIER1 * ITEMS
    summary = f"{TIER1}/{TIER1} harness runs, {TIER1} with errors, 0 reused, coverage "
    assert any(line.startswith(summary + f"{scored}/{total} (67%)") for line in out), out
    for result in stored.values():  # each model's mean is over its scored items only
        mean = scored_mean(result)
        assert mean is not None
        row = next(line for line in out if result.model in line)
        assert f"{ITEMS - failing}/{ITEMS} (67%)" in row and f"{mean:.3f}" in row
    grouped = (
        f"errors: HTTP 500 from openrouter × {TIER1} harness runs ({TIER1 * failing} items): "
        "openrouter is failing; resume with the same --run-id later"
    )
    assert out[-2:] == [grouped, "run id third (re-run with --run-id third to resume)"]
    assert done.stderr == (
        f"error: completed with errors in {TIER1} of {TIER1} harness runs (missing coverage); "
        "re-run with --run-id third to run them again\n"
    )


# -- fault 3: a hung call is retried; --timeout bounds swarm, batch and eval ----------------------


def test_a_hung_call_is_retried_at_the_call_timeout_and_eval_completes(
    prefect_api, model_server
) -> None:
    model_server.script("*", ModelScript(fault_sequence=[Fault.hang(120)] * ITEMS))

    done = map_elite(
        *FLOW_COMMANDS["eval"], "--call-timeout", "1", "--retries", "2",
        prefect_api=prefect_api, **server_env(model_server, MAPELITE_PROVIDER_LIMITS=ALL_AT_ONCE),
    )  # fmt: skip

    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    assert model_server.total_stats().requests == 2 * ITEMS, "each item: one hang, one answer"
    hung = [entry for entry in server_log(model_server) if entry.fault == "hang"]
    assert len(hung) == ITEMS and all(entry.status == 499 for entry in hung), "cut by the client"
    (result,) = Ledger(get_settings().ledger).read()
    assert coverage(result).fraction == 1.0
    assert f"{ITEMS}/{ITEMS} (100%) of the items asked, 0 harness runs with errors" in done.stdout


@pytest.mark.parametrize("command", FLOW_COMMANDS, ids=str)
def test_timeout_bounds_every_harness_run_of_swarm_batch_and_eval(
    prefect_api, model_server, command: str
) -> None:
    # Calls answer only after 120 s; the call timeout (60 s by default) would wait for half of
    # that: --timeout 2 ends every harness run first, and its items are errors.
    model_server.script("*", ModelScript(fault=Fault.hang(120), fault_rate=1.0))

    done = map_elite(
        *FLOW_COMMANDS[command], "--timeout", "2", "--retries", "0", "--run-id", "slow",
        prefect_api=prefect_api, **server_env(model_server, MAPELITE_PROVIDER_LIMITS=ALL_AT_ONCE),
    )  # fmt: skip

    assert done.returncode == EXIT_COMPLETED_WITH_ERRORS, done.stdout + done.stderr
    assert model_server.total_stats().requests == estimated_calls(done.stdout)
    log = server_log(model_server)
    assert len(log) == estimated_calls(done.stdout)
    assert all(entry.status == 499 for entry in log), "every call was cut by the client"
    stored = Ledger(get_settings().ledger).results_for_run("slow")
    assert stored and all(coverage(r).scored == 0 for r in stored.values())
    assert any("timeout from openrouter" in line for line in done.stdout.splitlines())
    assert "Traceback" not in done.stdout + done.stderr
