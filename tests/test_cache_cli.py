"""The response cache from the command line: ``--cache`` (or ``[defaults] cache``) on eval and
run, cached answers shown as cached, and ``map-elite cache stats|clear``. Calls are counted at
the model server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mapelite.testing.scripts import ModelScript
from tests.flow_helpers import PYTHON, ledger_entries, subprocess_env
from tests.support.model_server_fixtures import TEST_KEY

pytestmark = pytest.mark.prefect


def map_elite(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [PYTHON, "-m", "cli.main", *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


@pytest.fixture
def cli_env(prefect_api, model_server) -> dict[str, str]:
    model_server.script("*", ModelScript(latency_s=0.0))
    return subprocess_env(
        PREFECT_API_URL=prefect_api,
        MAPELITE_OPENAI_BASE_URL=model_server.base_url,
        MAPELITE_OPENROUTER_BASE_URL=model_server.base_url,
        MAPELITE_OPENROUTER_API_KEY=TEST_KEY,
        MAPELITE_PREFECT_GLOBAL_LIMITS="false",
    )


def test_a_second_eval_with_cache_makes_no_calls_and_its_entries_point_at_the_originals(
    cli_env, model_server
) -> None:
    model = "openai/cache-cli"
    first = map_elite(
        cli_env, "eval", model, "-H", "0,7", "--bank", "core", "--run-id", "c-1", "--cache", "--yes"
    )
    calls = model_server.stats("cache-cli").requests
    assert calls > 0 and "cached:" not in first.stdout
    originals = {e.harness_id: e for e in ledger_entries() if e.metadata.run_id == "c-1"}

    second = map_elite(
        cli_env, "eval", model, "-H", "0,7", "--bank", "core", "--run-id", "c-2", "--cache", "--yes"
    )
    assert model_server.stats("cache-cli").requests == calls, "every answer from the cache"
    items = sum(len(e.metadata.items) for e in originals.values())
    assert f"cached: {items} items answered from the response cache" in second.stdout
    cached = [e for e in ledger_entries() if e.metadata.run_id == "c-2"]
    assert len(cached) == 2
    for entry in cached:
        original = originals[entry.harness_id]
        assert entry.metadata.cost_usd == 0.0
        for item, first_item in zip(entry.metadata.items, original.metadata.items, strict=True):
            assert item.cached and item.cached_from == original.hash
            assert item.original_cost_usd == pytest.approx(first_item.cost_usd)

    map_elite(cli_env, "eval", model, "-H", "0,7", "--bank", "core", "--run-id", "c-3", "--yes")
    assert model_server.stats("cache-cli").requests == 2 * calls, "without --cache: every call"
    fresh = [e for e in ledger_entries() if e.metadata.run_id == "c-3"]
    assert fresh and not any(i.cached for e in fresh for i in e.metadata.items)

    # Profiles leave the cached run out unless asked: it repeats c-1's measurement.
    def profile_entries(*flags: str) -> int:
        shown = map_elite(cli_env, "profile", "--all", "--format", "json", *flags)
        [profile] = json.loads(shown.stdout)["models"]
        return int(profile["entries"])

    assert profile_entries() == 4
    assert profile_entries("--cached", "include") == 6


def test_run_uses_the_config_default_shows_cached_rows_and_cache_clear_empties_it(
    cli_env, model_server, tmp_path: Path
) -> None:
    model = "openai/cache-run"
    map_elite(cli_env, "run", "0", model, "--cache", "--bank", "core")
    calls = model_server.stats("cache-run").requests
    assert calls > 0

    config = tmp_path / "config.toml"
    config.write_text("[defaults]\ncache = true\n", encoding="utf-8")
    with_default = {**cli_env, "MAPELITE_CONFIG": str(config)}
    again = map_elite(with_default, "run", "0", model, "--bank", "core")
    assert model_server.stats("cache-run").requests == calls, "[defaults] cache = true"
    assert "cached)" in again.stdout, again.stdout

    map_elite(with_default, "run", "0", model, "--no-cache", "--bank", "core")
    assert model_server.stats("cache-run").requests == 2 * calls, "--no-cache wins"

    stats = map_elite(cli_env, "cache", "stats")
    assert f"{calls} answers" in stats.stdout, stats.stdout
    cleared = map_elite(cli_env, "cache", "clear")
    assert f"removed {calls} cached answers" in cleared.stdout
    assert "0 answers" in map_elite(cli_env, "cache", "stats").stdout
