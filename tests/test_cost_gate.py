"""The cost gate and the key check stop a run before any request, with one clear line."""

from __future__ import annotations

import subprocess

from mapelite.settings import get_settings
from tests.flow_helpers import PYTHON, subprocess_env
from tests.support.model_server_fixtures import TEST_KEY


def map_elite(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "flows.cli", *args],
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
    assert "cost estimate" in done.stdout, "the estimate is printed before the refusal"
    assert model_server.total_stats().requests == 0
    assert not get_settings().ledger.exists()
    assert TEST_KEY not in done.stdout + done.stderr
