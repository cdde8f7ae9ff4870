"""`runners.create_runner`: picking a runner by name, and failing fast when its server is down."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from mapelite.config.settings import Settings
from mapelite.errors import ConfigError, InvalidInputError
from runners import RUNNER_NAMES, HarnessRunner, create_runner
from tests.support.server_fixtures import REPO_ROOT, NatsServer, free_port


def test_local_is_created_without_importing_temporal_or_nats() -> None:
    code = (
        "import sys, runners\n"
        "runner = runners.create_runner('local')\n"
        "assert runner.name == 'local', runner.name\n"
        "print(sorted(m for m in ('temporalio', 'nats') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_unknown_runner_name_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidInputError) as caught:
        create_runner("celery", Settings())
    for name in RUNNER_NAMES:
        assert name in caught.value.message


@pytest.mark.parametrize(
    ("name", "field", "setting", "address"),
    [
        ("temporal", "temporal_address", "MAPELITE_TEMPORAL_ADDRESS", "127.0.0.1:{port}"),
        ("nats", "nats_url", "MAPELITE_NATS_URL", "nats://127.0.0.1:{port}"),
    ],
)
def test_remote_runner_with_no_server_is_one_line_naming_address_and_setting(
    name: str, field: str, setting: str, address: str, mapelite_home
) -> None:
    address = address.format(port=free_port())
    settings = Settings().model_copy(update={field: address, "connect_timeout_s": 1.0})
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        create_runner(name, settings)
    assert time.monotonic() - started < 1.0 + 1.0
    assert "\n" not in caught.value.message
    assert address in caught.value.message and setting in caught.value.message
    assert not settings.ledger.exists(), "nothing is written when the server is down"


@pytest.mark.nats
async def test_nats_runner_is_selected_by_name_when_its_server_answers(
    nats_server: NatsServer,
) -> None:
    runner = create_runner("nats", Settings(nats_url=nats_server.url))
    assert isinstance(runner, HarnessRunner)
    assert runner.name == "nats"
    await runner.aclose()


@pytest.mark.parametrize("runner", ["temporal", "nats"])
def test_swarm_command_with_its_server_down_exits_non_zero_with_one_line_and_no_ledger(
    runner: str, mapelite_home
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MAPELITE_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "MAPELITE_NATS_URL": f"nats://127.0.0.1:{port}",
        "MAPELITE_CONNECT_TIMEOUT_S": "1",
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "swarm", ":10", "--tier", "demo",
         "--runner", runner, "--yes"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert time.monotonic() - started < 60, "fails fast, before any run"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(port) in lines[0], done.stderr
    assert not (mapelite_home / "ledger.jsonl").exists()
