"""A refused command prints one line and nothing before it: not the run id, not the estimate
(real `map-elite` processes against the project's model server; nothing is called or written)."""

from __future__ import annotations

import pytest

from mapelite.config.settings import get_settings
from mapelite.errors import EXIT_INPUT, EXIT_LEDGER
from mapelite.ledger.chain import Ledger
from mapelite.ledger.checkpoint import check_before_run, read_checkpoint
from tests.flow_helpers import map_elite, one_error_line, sha256_of
from tests.test_cli_faults import earlier_entry, server_env

pytestmark = pytest.mark.prefect


def test_a_pattern_without_its_colon_exits_2_naming_the_fix(model_server) -> None:
    done = map_elite("swarm", "10", "--tier", "tier1", "--yes", **server_env(model_server))

    assert done.returncode == EXIT_INPUT
    line = one_error_line(done)
    assert "invalid pattern '10'" in line and "did you mean ':10'?" in line
    assert model_server.total_stats().requests == 0
    assert not get_settings().ledger.exists()


def test_a_batch_run_id_given_to_a_swarm_is_refused_before_anything_is_printed(
    prefect_api, model_server
) -> None:
    env = server_env(model_server)
    batch = ["batch", "tier1", "-H", "0", "--yes", "--items", "2", "--run-id", "B"]
    first = map_elite(*batch, prefect_api=prefect_api, **env)
    assert first.returncode == 0, first.stdout + first.stderr
    ledger = Ledger(get_settings().ledger)
    before, calls = sha256_of(ledger.path), model_server.total_stats().requests

    done = map_elite(
        "swarm", ":10", "--tier", "tier1", "-H", "0", "--yes", "--items", "2", "--run-id", "B",
        prefect_api=prefect_api, **env,
    )  # fmt: skip

    assert done.returncode == EXIT_INPUT
    line = one_error_line(done)
    assert "run id B was used for a different run (it holds a batch or eval" in line
    assert sha256_of(ledger.path) == before
    assert model_server.total_stats().requests == calls, "no model call"


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "0", "--tier", "tier1", "--yes"],
        ["batch", "tier1", "-H", "0", "--yes"],
        ["swarm", ":10", "--tier", "tier1", "-H", "0", "--yes"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_ledger_edited_before_its_checkpoint_stops_the_run_before_it_pays(
    prefect_api, model_server, argv: list[str]
) -> None:
    ledger = Ledger(get_settings().ledger)
    ledger.append_many([earlier_entry()] * 1000)
    check_before_run(ledger)  # as after an earlier run: a checkpoint at the end
    ledger.append_many([earlier_entry()] * 8)  # the ledger's own appends carry it forward
    checkpoint = read_checkpoint(ledger.path)
    assert checkpoint is not None and checkpoint.entries == 1008
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    lines[500] = lines[500].replace(b'"earlier"', b'"earlieR"', 1)
    ledger.path.write_bytes(b"".join(lines))
    before = sha256_of(ledger.path)

    done = map_elite(*argv, prefect_api=prefect_api, **server_env(model_server))

    assert done.returncode == EXIT_LEDGER
    line = one_error_line(done)
    assert f"ledger {ledger.path} does not verify at line 500" in line
    assert sha256_of(ledger.path) == before, "nothing appended"
    assert model_server.total_stats().requests == 0
