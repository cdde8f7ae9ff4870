"""The config file through the command line: ``--config PATH`` with two endpoints (the model
server on two ports), ``--tier mine`` / ``--models``, ``models refresh`` on a saved OpenRouter
response, ``--json`` against the tables, ``--version``, and bad config files refused in one line
before any model call."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from cli.app import run_app
from cli.main import build_app
from mapelite.catalog.models import load_catalog
from mapelite.config.settings import get_settings
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import ModelScript
from tests.flow_helpers import PYTHON, ledger_entries, subprocess_env
from tests.support.config_files import LAB_KEY, two_endpoint_config

SAVED_REFRESH = Path(__file__).parent / "data" / "openrouter_models_refresh.json"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_app(build_app(), list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def two_servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModelServer, ModelServer]]:
    monkeypatch.setenv("LAB_API_KEY", LAB_KEY)
    monkeypatch.setenv("MAPELITE_PREFECT_GLOBAL_LIMITS", "false")
    with ModelServer(require_key=LAB_KEY) as lab, ModelServer() as gpu:
        for server in (lab, gpu):
            server.script("*", ModelScript(latency_s=0.05))
        yield lab, gpu


@pytest.fixture
def config_file(two_servers: tuple[ModelServer, ModelServer], tmp_path: Path) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(two_endpoint_config(*two_servers))
    return path


# -- (a) two endpoints, a config tier, --models, configured prices -------------------------------


@pytest.mark.prefect
def test_swarm_batch_and_eval_from_the_cli_reach_both_endpoints_within_each_limit(
    prefect_api, two_servers, config_file: Path, capsys
) -> None:
    lab, gpu = two_servers
    config = str(config_file)

    code, out, err = cli(
        capsys, "--config", config, "swarm", ":10", "--tier", "mine", "-H", "0", "--bank", "core"
    )
    assert code == 0, err
    assert "swarm :10" in out and "on mine" in out
    assert lab.total_stats().max_in_flight == 2 and gpu.total_stats().max_in_flight == 3

    code, out, err = cli(
        capsys,
        "--config",
        config,
        "batch",
        "--models",
        "lab/x,gpu/y",
        "-H",
        "0,7",
        "--json",
        "--bank",
        "core",
    )
    assert code == 0, err
    batch = json.loads(out)
    assert batch["tier"] == "models" and batch["models"] == ["lab/x", "gpu/y"]
    assert batch["completed"] == 4 and batch["failed"] == 0 and batch["cost"]["actual_usd"] > 0

    lab_before, gpu_before = lab.total_stats().requests, gpu.total_stats().requests
    code, out, err = cli(
        capsys, "--config", config, "eval", "lab/x", "--json", "--bank", "core"
    )  # all 8: a complete profile
    assert code == 0, err
    assert json.loads(out)["model"] == "lab/x"
    assert lab.total_stats().requests > lab_before and gpu.total_stats().requests == gpu_before

    # Each endpoint's own limit held over all three commands, counted at the server.
    assert lab.total_stats().max_in_flight == 2 and gpu.total_stats().max_in_flight == 3
    assert {e.model for e in ledger_entries()} == {"lab/x", "gpu/y"}
    assert LAB_KEY not in get_settings().ledger.read_text()

    code, out, err = cli(capsys, "--config", config, "profile", "lab/x", "--json")
    assert code == 0, err
    profile = json.loads(out)
    assert profile["price_per_m_usd"] == pytest.approx(0.20)  # (0.10 + 0.30) / 2 from the file
    assert profile["score_per_dollar"] == pytest.approx(
        profile["fitness"]["value"] / 0.20, abs=1e-3
    )


@pytest.mark.prefect
def test_a_repeated_swarm_differs_by_seed_and_runs_repeat_it(prefect_api, capsys) -> None:
    answers: dict[int, list[str | None]] = {}
    for seed in (1, 2):
        code, out, err = cli(
            capsys,
            "swarm", ":2", "--tier", "demo", "-H", "0,7", "--seed", str(seed),
            "--run-id", f"seeded-{seed}", "--json", "--yes",
        )  # fmt: skip
        assert code == 0, err
        assert json.loads(out)["run_id"] == f"seeded-{seed}"
        answers[seed] = [
            item.answer
            for e in ledger_entries()
            if e.metadata.run_id == f"seeded-{seed}"
            for item in e.metadata.items
        ]
    assert answers[1] and answers[1] != answers[2]

    code, out, err = cli(
        capsys, "swarm", ":1", "--tier", "demo", "-H", "0", "--runs", "2", "--run-id", "rep",
        "--json", "--yes",
    )  # fmt: skip
    assert code == 0, err
    assert [r["run_id"] for r in json.loads(out)] == ["rep.1", "rep.2"]


def test_cost_estimate_names_the_models_a_swarm_leaves_out(capsys) -> None:
    code, out, _ = cli(capsys, "cost-estimate", ":1010", "--tier", "tier1")
    assert code == 0
    left_out = json.loads(cli(capsys, "cost-estimate", ":1010", "--tier", "tier1", "--json")[1])[
        "models_left_out"
    ]
    assert len(left_out) == 2 and all(model in out for model in left_out)
    assert "uses 8 of tier tier1's 10 models" in out


def test_a_dollar_threshold_prints_with_enough_digits(capsys, monkeypatch) -> None:
    monkeypatch.setenv("MAPELITE_WARN_USD", "0.001")
    code, out, _ = cli(capsys, "cost-estimate", ":10", "--tier", "tier1")
    assert code == 0
    assert "MAPELITE_WARN_USD $0.001" in out and "$0.00;" not in out


# -- (b) refresh through the CLI ------------------------------------------------------------------


def test_models_refresh_from_the_cli_checks_each_outcome_and_keeps_a_config_tier(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    model_server.models_payload = json.loads(SAVED_REFRESH.read_text())
    config = tmp_path / "mapelite.toml"
    text = '[endpoints.lab]\nbase_url = "http://127.0.0.1:9/v1"\n[tiers]\nmine = ["lab/q", "openrouter/mistralai/mistral-7b-instruct"]\n'  # noqa: E501
    config.write_text(text)
    monkeypatch.setenv("MAPELITE_OPENROUTER_BASE_URL", model_server.base_url)

    code, out, err = cli(capsys, "--config", str(config), "models", "refresh", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert "openrouter/openai/text-embedding-3-small" in summary["non_chat"]
    assert "openrouter/meta-llama/llama-3.2-3b-instruct:free" in summary["free"]
    assert summary["variable_price"] == ["openrouter/openrouter/auto"]
    assert "openrouter/mistralai/mistral-7b-instruct" in summary["removed"]
    moved = {m["model"]: (m["before"], m["after"]) for m in summary["moved"]}
    assert moved["openrouter/amazon/nova-micro-v1"] == ("tier1", "tier2")
    assert summary["warnings"] == []

    code, out, _ = cli(capsys, "--config", str(config), "models", "--all", "--json")
    rows = {row["model"]: row for row in json.loads(out)["models"]}
    assert "openrouter/openai/text-embedding-3-small" not in rows
    free = rows["openrouter/meta-llama/llama-3.2-3b-instruct:free"]
    assert free["free"] and free["rate_limit"] and free["tiers"] == []
    auto = rows["openrouter/openrouter/auto"]
    assert auto["variable_price"] and auto["tiers"] == []
    assert "tier2" in rows["openrouter/amazon/nova-micro-v1"]["tiers"]
    # A config tier's model that the refresh removed is listed as such, not an error.
    assert rows["openrouter/mistralai/mistral-7b-instruct"]["tiers"] == ["mine"]
    assert not rows["openrouter/mistralai/mistral-7b-instruct"]["in_catalog"]

    code, out, _ = cli(capsys, "--config", str(config), "models", "--all")
    assert "variable price" in out and "free, " in out
    assert config.read_text() == text
    assert load_catalog().tiers["mine"] == ["lab/q", "openrouter/mistralai/mistral-7b-instruct"]


# -- (c) --json matches the table; --version ------------------------------------------------------


def model_column_index(out: str) -> int:
    """Where the model column is in a printed table (its header row names it)."""
    header = next(line for line in out.splitlines() if line.startswith("┃") and "model" in line)
    return [h.strip() for h in header.strip("┃").split("┃")].index("model")


def table_rows(out: str) -> list[list[str]]:
    """The body rows of a Rich table printed wide enough that no cell wraps."""
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in out.splitlines()
        if line.startswith("│")
    ]


def test_models_and_harnesses_json_match_their_tables(capsys) -> None:
    _, table, _ = cli(capsys, "models", "--all")
    _, data, _ = cli(capsys, "models", "--all", "--json")
    rows = json.loads(data)["models"]
    shown = table_rows(table)
    assert [r[0] for r in shown] == [r["model"] for r in rows]
    for cells, row in zip(shown, rows, strict=True):
        assert float(cells[1]) == row["input_price_per_m"]
        assert cells[4] == ", ".join(row["tiers"])

    _, table, _ = cli(capsys, "harnesses")
    _, data, _ = cli(capsys, "harnesses", "--json")
    banks = json.loads(data)
    assert [[r[3], r[4], r[5]] for r in table_rows(table)] == [
        [b["bank"], "≥ 1000" if b["items"] is None else str(b["items"]), b["version"]]
        for b in banks
    ]
    assert {b["harness_id"] for b in banks} == set(range(8))


def test_profile_json_matches_the_table(mapelite_home: Path, capsys) -> None:
    from tests.test_profiles import write_scenario_ledger

    write_scenario_ledger(mapelite_home / "ledger.jsonl")
    _, table, _ = cli(capsys, "profile", "--all")
    _, data, _ = cli(capsys, "profile", "--all", "--json")
    models = json.loads(data)["models"]
    shown = table_rows(table)[: len(models)]
    at = model_column_index(table)
    assert [r[at] for r in shown] == [m["model"] for m in models]
    assert [r[0] for r in shown] == [str(m["rank"]) if m["rank"] else "—" for m in models]


@pytest.mark.prefect
def test_batch_json_matches_the_table(prefect_api, capsys) -> None:
    argv = ["batch", "demo", "-H", "0", "--run-id", "json-batch", "--yes"]
    code, table, err = cli(capsys, *argv)
    assert code == 0, err
    code, data, err = cli(capsys, *argv, "--json")  # the same run: every unit reused
    assert code == 0, err
    result = json.loads(data)
    assert "run id" not in data and result["reused"] == result["units"] == 8
    per_model = {m["model"]: m for m in result["per_model"]}
    shown = [r for r in table_rows(table) if r[0] in per_model]
    assert len(shown) == 8
    for cells in shown:
        expected = per_model[cells[0]]
        # columns: model, runs, errors, coverage, mean score
        assert int(cells[1]) == expected["units"] and int(cells[2]) == expected["failed"]
        assert float(cells[4]) == pytest.approx(expected["mean_score"], abs=5e-4)


def test_version_prints_the_package_version(capsys) -> None:
    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.strip() == f"map-elite {version('map-elite')}"


@pytest.mark.parametrize("columns", ["80", "120", "150"])
def test_tables_never_cut_a_model_id(columns: str, mapelite_home: Path) -> None:
    from tests.test_profiles import write_scenario_ledger

    write_scenario_ledger(mapelite_home / "ledger.jsonl")
    for argv, ids in (
        (["models", "--all"], list(load_catalog().models)),
        (["profile", "--all"], ["mockllm/atlas", "openrouter/openai/gpt-5-nano"]),
    ):
        done = subprocess.run(
            [PYTHON, "-m", "cli", *argv],
            env=subprocess_env(COLUMNS=columns),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        # A model id may wrap onto the next lines of its cell, never lose characters.
        rows = table_rows(done.stdout)
        at = model_column_index(done.stdout)
        column = "".join(row[at] for row in rows)
        assert all(model_id in column for model_id in ids), (argv, columns)
        assert max(len(line) for line in done.stdout.splitlines() if line.startswith("│")) <= int(
            columns
        )


# -- (d) bad config files: one line, exit 2, no model call ---------------------------------------

GOOD_ENDPOINT = '[endpoints.lab]\nbase_url = "{url}"\n'
BAD_CONFIGS = {
    "unknown key": GOOD_ENDPOINT + "colour = 'red'\n",
    "wrong type": GOOD_ENDPOINT + "limit = 'four'\n",
    "endpoint without base_url": "[endpoints.lab]\nprotocol = 'openai'\n",
    "model on an unknown endpoint": GOOD_ENDPOINT + '[tiers]\nmine = ["nowhere/x"]\n',
    "duplicate tier": GOOD_ENDPOINT + '[tiers]\ndemo = ["lab/x"]\n',
}


@pytest.mark.parametrize("problem", list(BAD_CONFIGS))
def test_a_bad_config_file_is_one_line_exit_2_and_no_model_call(
    problem: str, model_server: ModelServer, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_CONFIGS[problem].format(url=model_server.base_url))
    code, out, err = cli(
        capsys,
        "--config",
        str(path),
        "batch",
        "--models",
        "lab/x",
        "-H",
        "0",
        "--yes",
        "--bank",
        "core",
    )
    assert code == 2
    assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err
    assert model_server.total_stats().requests == 0


def test_a_broken_mapelite_toml_in_the_working_directory_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    (tmp_path / "mapelite.toml").write_text("[defaults]\nruns = 0\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "models")
    assert code == 2 and out == ""
    assert re.fullmatch(r"error: .*mapelite\.toml: defaults\.runs: expected .*\n", err)


def test_config_show_and_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "config", "init")
    assert code == 0 and (tmp_path / "mapelite.toml").is_file()
    code, _, err = cli(capsys, "config", "init")
    assert code == 2 and "--force" in err
    monkeypatch.setenv("MAPELITE_OPENROUTER_API_KEY", "sk-or-secret-value-123")
    get_settings.cache_clear()
    code, out, _ = cli(capsys, "config", "show", "--json")
    assert code == 0 and "sk-or-secret-value-123" not in out
    rows = {row["key"]: row for row in json.loads(out)}
    assert rows["tiers.mine"]["source"] == str(tmp_path / "mapelite.toml")
    assert rows["openrouter_api_key"]["source"] == "environment"
    code, out, _ = cli(capsys, "config", "show")
    assert code == 0 and "endpoints.vllm.base_url" in out


def test_run_and_verify_json_hold_only_json_and_runs_repeat_with_seeds(capsys) -> None:
    code, out, err = cli(
        capsys, "run", "0", "--models", "mockllm/atlas,mockllm/birch", "--runs", "2", "--seed", "5",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    entries = json.loads(out)
    assert len(entries) == 4 and {e["model"] for e in entries} == {"mockllm/atlas", "mockllm/birch"}
    assert all(e["hash"] for e in entries)
    assert sorted(e["metadata"]["seed"] for e in entries) == [5, 5, 6, 6]  # repeat r: seed 5+r
    code, out, _ = cli(capsys, "verify", "--json")
    assert code == 0 and json.loads(out)["valid"] and json.loads(out)["entries"] == 4
