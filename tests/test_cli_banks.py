"""Item banks on the command line: `harnesses`, `items`, and the sample options (--items,
--item-seed, --bank, --context-tokens) of run, batch and cost-estimate, as a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from cli.app import run_app
from cli.main import build_app
from mapelite.banks import DEFAULT_CONTEXT_TOKENS, DEFAULT_GEN_ITEMS
from mapelite.config.settings import get_settings
from mapelite.ledger.chain import Ledger
from tests.flow_helpers import PYTHON, subprocess_env
from tests.support.model_server_fixtures import TEST_KEY

HARNESS_IDS = range(8)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_app(build_app(), list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def map_elite(*args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "cli", *args],
        env=subprocess_env(COLUMNS="200", **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tokens_per_call(out: str) -> float:
    """Estimated tokens per model call, from the totals line of `cost-estimate`."""
    match = re.search(r"calls (\d+) .* tokens ~(\d+)", out)
    assert match, out
    return int(match.group(2)) / int(match.group(1))


# -- harnesses and items --------------------------------------------------------------------------


def test_harnesses_lists_every_harness_banks_with_item_counts(capsys):
    code, out, _ = cli(capsys, "harnesses")
    assert code == 0
    for bank in ("core", "gen", "humaneval"):
        assert bank in out
    assert "164" in out and "≥ 1000" in out

    code, out, _ = cli(capsys, "harnesses", "--json")
    assert code == 0
    rows = json.loads(out)
    banks = {(row["harness_id"], row["bank"]): row["items"] for row in rows}
    assert {h for h, bank in banks if bank == "gen"} == set(HARNESS_IDS)
    assert all(banks[(h, "core")] == 6 for h in HARNESS_IDS)
    assert banks[(2, "humaneval")] == 164
    assert all(banks[(h, "gen")] is None for h in HARNESS_IDS)  # open-ended


@pytest.mark.parametrize("harness_id", HARNESS_IDS)
def test_items_json_prints_1000_items_with_distinct_prompts(capsys, harness_id: int):
    argv = ("items", str(harness_id), "--items", "1000", "--item-seed", "1", "--json")
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    items = json.loads(out)  # stdout is the JSON list and nothing else
    assert len(items) == 1000
    assert len({item["prompt"] for item in items}) == 1000
    assert len({item["id"] for item in items}) == 1000
    assert all({"id", "bank", "prompt", "reference"} <= set(item) for item in items)
    assert {item["bank"] for item in items} == {"gen"}


def test_items_json_in_a_real_process_is_the_same_list_and_nothing_else(capsys):
    argv = ("items", "DECIDE", "--items", "1000", "--item-seed", "1", "--json")
    done = map_elite(*argv)
    assert done.returncode == 0, done.stderr
    in_process = cli(capsys, *argv)[1]
    assert done.stdout == in_process
    assert len(json.loads(done.stdout)) == 1000


def test_items_prints_id_prompt_and_reference_for_reading(capsys):
    code, out, _ = cli(capsys, "items", "7", "--items", "3", "--item-seed", "1")
    assert code == 0
    views = json.loads(cli(capsys, "items", "7", "--items", "3", "--item-seed", "1", "--json")[1])
    for view in views:
        assert view["id"] in out and f"reference: {view['reference']}" in out


def test_items_of_core_and_humaneval_banks(capsys):
    code, out, _ = cli(capsys, "items", "SENSE", "--bank", "core", "--items", "6", "--json")
    assert code == 0
    assert sorted(v["id"] for v in json.loads(out)) == [f"sense-0{n}" for n in range(1, 7)]
    code, out, _ = cli(capsys, "items", "2", "--bank", "humaneval", "--items", "2", "--json")
    assert code == 0
    assert all(v["id"].startswith("HumanEval/") for v in json.loads(out))


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["items", "0", "--bank", "humaneval"], "humaneval belongs to harness 2"),
        (["items", "0", "--bank", "no-such-bank"], "no-such-bank"),
        (["items", "0,1"], "one harness"),
        (["items", "9"], "9"),
        (["items", "0", "--items", "0"], "--items"),
        (["run", "0", "--tier", "demo", "--bank", "no-such-bank"], "no-such-bank"),
        (["batch", "demo", "--instructions", "4"], "--instructions"),
    ],
)
def test_bad_sample_options_are_one_line_errors(capsys, argv: list[str], needle: str):
    code, out, err = cli(capsys, *argv)
    assert code == 2, out + err
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert "Traceback" not in err


# -- defaults: stated in --help, from the config file, and within the $0.50 budget ----------------


@pytest.mark.parametrize("command", ["run", "swarm", "batch", "eval", "cost-estimate"])
def test_every_spending_command_states_its_sample_options_and_defaults(
    capsys, monkeypatch, command
):
    monkeypatch.setenv("COLUMNS", "300")
    code, out, _ = cli(capsys, command, "--help")
    assert code == 0
    text = " ".join(out.split())
    for option in ("--items", "--item-seed", "--bank", "--context-tokens", "--instructions"):
        assert option in text, option
    assert "(default core)" in text and "(default 0)" in text
    assert "mapelite.toml" in text  # its defaults table applies when an option is not given
    assert f"(default {DEFAULT_CONTEXT_TOKENS})" in text
    assert f"{DEFAULT_GEN_ITEMS} of gen" in text


def test_config_defaults_choose_the_sample_and_options_override_them(
    capsys, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "200")  # the totals line unwrapped
    config = tmp_path / "mapelite.toml"
    config.write_text('[defaults]\nbank = "gen"\nitems = 5\nitem_seed = 3\n')
    monkeypatch.setenv("MAPELITE_CONFIG", str(config))
    get_settings.cache_clear()
    demo_agents = 8  # :1 on the demo tier: one agent per model
    _, out, _ = cli(capsys, "cost-estimate", ":1", "--tier", "demo", "--harness", "7")
    assert f"calls {demo_agents * 5} " in out
    _, out, _ = cli(capsys, "cost-estimate", ":1", "--tier", "demo", "-H", "7", "--items", "2")
    assert f"calls {demo_agents * 2} " in out
    from_config = json.loads(cli(capsys, "items", "7", "--items", "5", "--json")[1])
    seeded = json.loads(cli(capsys, "items", "7", "--items", "5", "--item-seed", "3", "--json")[1])
    assert [v["id"] for v in from_config] == [v["id"] for v in seeded]


def test_a_fixed_bank_smaller_than_items_says_so_in_one_line(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = cli(
        capsys,
        "cost-estimate",
        ":1",
        "--tier",
        "demo",
        "-H",
        "0",
        "--bank",
        "core",
        "--items",
        "100",
    )
    assert code == 0
    assert err.strip() == (
        "note: bank core has 6 items per harness; --items 100 runs all 6 "
        "(--bank gen generates as many as asked)"
    )
    assert "calls 48 " in out  # 8 demo agents × 6 items


def _batch_estimate(model_server, *options: str) -> tuple[float, float]:
    """`batch tier1 --harness all` through the CLI's cost path: the gate (set to refuse
    anything) stops it before any request, with one line naming the estimate."""
    done = map_elite(
        "batch",
        "tier1",
        "--harness",
        "all",
        *options,
        MAPELITE_OPENROUTER_BASE_URL=model_server.base_url,
        MAPELITE_OPENROUTER_API_KEY=TEST_KEY,
        MAPELITE_WARN_USD="0.0000001",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert model_server.total_stats().requests == 0
    match = re.search(r"\$([\d.]+) \(worst case \$([\d.]+)\)", done.stderr)
    assert match, done.stderr
    return float(match.group(1)), float(match.group(2))


def test_default_and_gen_100_samples_keep_a_tier1_batch_of_all_harnesses_within_50_cents(
    model_server,
):
    default_cost, default_worst = _batch_estimate(model_server)
    gen_cost, gen_worst = _batch_estimate(model_server, "--bank", "gen", "--items", "100")
    assert default_worst <= 0.50 and gen_worst <= 0.50
    assert 0 < default_cost < gen_cost  # 100 generated items cost more than the 6 curated


# -- the sample reaches the runs and the estimate -------------------------------------------------


def test_cost_estimate_prices_a_64k_store_sample_by_its_prompts(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")

    def tokens(context_tokens: str) -> float:
        argv = ("cost-estimate", ":1", "--tier", "tier1", "-H", "STORE", "--bank", "gen")
        code, out, err = cli(capsys, *argv, "--items", "10", "--context-tokens", context_tokens)
        assert code == 0, err
        return tokens_per_call(out)

    small, large = tokens("4000"), tokens("64000")
    assert 3_600 < small < 4_800  # a prompt of about 4k tokens and its answer
    assert 60_000 < large < 72_000  # about 64k


def test_run_humaneval_164_runs_every_problem_for_every_demo_model(mapelite_home: Path):
    done = map_elite(
        "run", "2", "--bank", "humaneval", "--items", "164", "--tier", "demo", "--yes", timeout=900
    )
    assert done.returncode == 0, done.stderr
    entries = list(Ledger(mapelite_home / "ledger.jsonl").read())
    assert entries and len({e.model for e in entries}) == len(entries)
    for entry in entries:
        ids = [item.item_id for item in entry.metadata.items]
        assert len(set(ids)) == 164 and all(i.startswith("HumanEval/") for i in ids)
        assert {item.bank for item in entry.metadata.items} == {"humaneval"}


@pytest.mark.prefect
def test_two_models_batched_with_the_same_sample_answer_the_same_items(
    prefect_api: str, mapelite_home: Path
):
    sample = ("--bank", "gen", "--items", "50", "--item-seed", "7")
    done = map_elite(
        "batch", "demo", "--harness", "DECIDE,SENSE", *sample, "--yes", PREFECT_API_URL=prefect_api
    )
    assert done.returncode == 0, done.stdout + done.stderr
    entries = list(Ledger(mapelite_home / "ledger.jsonl").read())
    by_harness: dict[int, list[set[str]]] = {}
    for entry in entries:
        answered = {item.item_id for item in entry.metadata.items}
        assert len(answered) == 50
        by_harness.setdefault(entry.harness_id, []).append(answered)
    assert sorted(by_harness) == [0, 7]
    for answered_sets in by_harness.values():
        assert len(answered_sets) >= 2  # two models or more
        assert all(answered == answered_sets[0] for answered in answered_sets)

    # `map-elite items` with the same options lists exactly those items.
    listed = json.loads(map_elite("items", "DECIDE", *sample, "--json").stdout)
    assert {v["id"] for v in listed} == by_harness[7][0]


def test_the_bank_benchmark_prints_items_generated_per_second_for_every_harness(capsys):
    from bench.__main__ import parse_only
    from bench.banks import bank_rows
    from mapelite.harnesses import HARNESSES

    assert "banks" in parse_only(None)  # `make bench` (every case) includes it
    rows = bank_rows(quick=True)
    printed = capsys.readouterr().out
    assert len(rows) == len(HARNESSES)
    for harness in HARNESSES.values():
        assert re.search(rf"{harness.name}: [\d,]+ items/s", printed), harness.name
