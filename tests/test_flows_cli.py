"""The CLI end to end: the README's main command, offline, on Prefect's embedded default."""

from __future__ import annotations

import subprocess

from mapelite.config.settings import get_settings
from mapelite.ledger.chain import Ledger
from tests.flow_helpers import PYTHON, subprocess_env


def test_readme_main_command_runs_offline_and_says_simulated(tmp_path) -> None:
    # No PREFECT_API_URL: the embedded default, its database in a fresh Prefect home.
    env = subprocess_env(PREFECT_HOME=str(tmp_path / "prefect-home"))
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_LOGGING_LEVEL", None)
    done = subprocess.run(
        [PYTHON, "-m", "cli", "swarm", ":10", "--tier", "demo", "--harness", "all", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "SIMULATED" in done.stdout
    assert "run id " in done.stdout.splitlines()[0]
    for noise in (
        "Traceback",
        "database is locked",
        "CancelledError",
        "not in the Prefect history",
    ):
        assert noise not in output
    assert "EventsWorker" not in output and "WARNING" not in output, output
    report = Ledger(get_settings().ledger).verify()
    assert report.valid and report.entries == 9 * 8


def test_each_flow_command_has_help_with_an_example() -> None:
    for command in ("swarm", "batch", "eval"):
        done = subprocess.run(
            [PYTHON, "-m", "cli", command, "--help"],
            env=subprocess_env(COLUMNS="200"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0
        assert f"map-elite {command}" in done.stdout and "--runner" in done.stdout


def test_prefect_yaml_deployments_point_at_loadable_flows() -> None:
    import yaml
    from prefect.flows import load_flow_from_entrypoint

    from tests.flow_helpers import REPO

    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    names = {d["name"]: d for d in spec["deployments"]}
    assert set(names) == {"nightly-tier1-batch", "report"}
    for deployment in names.values():
        path, _, name = deployment["entrypoint"].partition(":")
        flow = load_flow_from_entrypoint(f"{REPO / path}:{name}")
        assert set(deployment["parameters"]) <= set(flow.parameters.properties)
        flow.validate_parameters(deployment["parameters"])  # e.g. options: a RunOptions
        assert deployment["work_pool"]["name"] == "local" and deployment["schedules"]
