"""The CLI end to end: the README's main command, offline, on Prefect's embedded default."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mapelite.ledger.chain import Ledger
from tests.flow_helpers import PYTHON, REPO, subprocess_env


def demo_command(demo_home: Path | None = None) -> str:
    """The command `make demo` runs (its recipe line, as make expands it), with this test's
    interpreter; ``demo_home`` instead of the checkout's when given."""
    where = [] if demo_home is None else [f"DEMO_HOME={demo_home}"]
    done = subprocess.run(
        ["make", "-s", "-n", "demo", *where, f"BIN={Path(PYTHON).parent}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return next(line for line in done.stdout.splitlines() if "map-elite swarm" in line)


def test_make_demo_keeps_its_home_in_the_checkout() -> None:
    assert f"MAPELITE_HOME={REPO}/.demo-home " in demo_command()
    assert ".demo-home/" in (REPO / ".gitignore").read_text().splitlines()


def test_make_demo_runs_offline_says_simulated_and_leaves_the_users_ledger_alone(
    tmp_path: Path,
) -> None:
    # No PREFECT_API_URL: the embedded default, its database in the demo's home; no
    # MAPELITE_HOME: the user's would be $HOME/.mapelite.
    user_home, demo_home = tmp_path / "user", tmp_path / "demo-home"
    user_home.mkdir()
    env = subprocess_env(HOME=str(user_home))
    for name in ("PREFECT_API_URL", "PREFECT_LOGGING_LEVEL", "PREFECT_HOME", "MAPELITE_HOME"):
        env.pop(name, None)
    env.pop("MAPELITE_LEDGER_PATH", None)
    done = subprocess.run(
        demo_command(demo_home),
        shell=True,
        cwd=REPO,
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
    report = Ledger(demo_home / "ledger.jsonl").verify()
    assert report.valid and report.entries == 9 * 8
    assert not (user_home / ".mapelite").exists()


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
