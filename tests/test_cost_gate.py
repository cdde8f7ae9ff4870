"""The cost gate and the key check stop a run before any request, with one clear line."""

from __future__ import annotations

import subprocess

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import get_settings
from mapelite.errors import EXIT_ESTIMATE_NOT_ACCEPTED
from tests.flow_helpers import PYTHON, subprocess_env
from tests.support.model_server_fixtures import TEST_KEY


def map_elite(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "cli", *args],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_swarm_without_an_openrouter_key_names_the_setting_in_one_line() -> None:
    done = map_elite("swarm", ":10", "--tier", "tier1")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "OPENROUTER_API_KEY" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_estimate_above_the_warning_without_yes_exits_before_any_request(model_server) -> None:
    done = map_elite(
        "swarm",
        ":10",
        "--tier",
        "tier1",
        MAPELITE_OPENROUTER_BASE_URL=model_server.base_url,
        MAPELITE_OPENROUTER_API_KEY=TEST_KEY,
        MAPELITE_WARN_USD="0.0000001",
    )
    assert done.returncode != 0
    assert "--yes" in done.stderr and "MAPELITE_WARN_USD" in done.stderr
    assert "estimated cost" in done.stderr, "the refusal names the estimate"
    assert done.stdout == "", "a refusal is the only line: no run id, no estimate before it"
    assert model_server.total_stats().requests == 0
    assert not get_settings().ledger.exists()
    assert TEST_KEY not in done.stdout + done.stderr


def _spending_commands() -> list[list[str]]:
    model = load_catalog().tier("tier1")[0]
    return [
        ["swarm", ":10", "--tier", "tier1"],
        ["batch", "tier1", "--harness", "0"],
        ["eval", model, "--harness", "0"],
        ["run", "0", "--tier", "tier1"],
    ]


@pytest.mark.parametrize("argv", _spending_commands(), ids=lambda argv: argv[0])
def test_a_refused_estimate_exits_with_the_same_code_for_every_spending_command(
    model_server, argv: list[str]
) -> None:
    done = map_elite(
        *argv,
        MAPELITE_OPENROUTER_BASE_URL=model_server.base_url,
        MAPELITE_OPENROUTER_API_KEY=TEST_KEY,
        MAPELITE_WARN_USD="0.0000001",
    )
    assert EXIT_ESTIMATE_NOT_ACCEPTED == 1  # the code README's exit-code table documents
    assert done.returncode == EXIT_ESTIMATE_NOT_ACCEPTED, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--yes" in lines[0] and "MAPELITE_WARN_USD" in lines[0]
    assert model_server.total_stats().requests == 0
    assert not get_settings().ledger.exists()
