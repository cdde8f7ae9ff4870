"""Numbers with error bars through the command line, on ledgers written by real demo runs:
profile intervals and coverage, `compare`, what an estimate can detect, the swarm verdicts."""

from __future__ import annotations

import json
import re

import pytest

from cli.app import run_app
from cli.main import build_app
from mapelite.harnesses import get_harness
from mapelite.stats.core import holm
from mapelite.stats.power import detectable_difference, items_needed

FULL = ["mockllm/birch", "mockllm/cedar"]
PARTIAL = "mockllm/atlas"  # the demo tier's most skilled model: ranked first if it were ranked


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_app(build_app(), list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_id_of(out: str) -> str:
    found = re.search(r"^run id (\S+)$", out, re.MULTILINE)
    assert found, out
    return found.group(1)


def test_profile_json_gives_every_score_n_and_ci_and_ranks_partial_coverage_apart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(capsys, "run", "all", *FULL, "--yes")[0] == 0
    assert cli(capsys, "run", "0,7", PARTIAL, "--yes")[0] == 0

    code, out, _ = cli(capsys, "profile", "--all", "--format", "json")
    assert code == 0
    models = {m["model"]: m for m in json.loads(out)["models"]}
    assert set(models) == {*FULL, PARTIAL}
    for profile in models.values():
        assert set(profile["coverage"]) >= {"complete", "harnesses_scored", "items_scored"}
        for harness in profile["harnesses"]:
            for estimate in (harness["latest"], harness["average"]):
                assert {"value", "n", "ci_low", "ci_high"} <= set(estimate)
                assert estimate["n"] > 0
                assert estimate["ci_low"] <= estimate["value"] <= estimate["ci_high"]
    for model in FULL:
        fitness = models[model]["fitness"]
        assert models[model]["coverage"]["complete"] is True
        assert fitness["ci_low"] <= fitness["value"] <= fitness["ci_high"] and fitness["n"] > 0
    assert sorted(models[m]["rank"] for m in FULL) == [1, 2]
    atlas = models[PARTIAL]
    assert atlas["coverage"]["complete"] is False
    assert atlas["coverage"]["harnesses_scored"] == [0, 7]
    assert (atlas["rank"], atlas["band"], atlas["fitness"]) == (None, None, None)


def test_cost_estimate_says_what_the_run_detects_and_what_a_difference_needs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    items = min(len(get_harness(h).items) for h in (0, 7))
    code, out, _ = cli(capsys, "cost-estimate", ":10", "--tier", "demo", "--harness", "0,7")
    assert code == 0
    assert f"detects a difference of ≥ {detectable_difference(items):.2f} per harness" in out

    code, out, _ = cli(
        capsys, "cost-estimate", ":10", "--tier", "demo", "--harness", "0,7", "--detect", "0.1"
    )
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("to detect a difference of 0.1"))
    assert f"{items_needed(0.1)} paired items per harness (this run has {items})" in line
    assert re.search(r"estimated \$\d+\.\d{4}$", line), line


def test_run_prints_what_it_can_detect_before_running(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "run", "7", PARTIAL, "--yes")
    assert code == 0
    estimate_at = out.index("cost estimate")
    assert out.index("detects a difference of ≥", estimate_at) < out.index("map-elite run")


@pytest.mark.prefect
def test_eval_on_two_harnesses_shows_coverage_and_no_fitness(
    prefect_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "eval", PARTIAL, "-H", "0,7", "--yes")
    assert code == 0, out
    assert "coverage: 2/8 harnesses" in out
    assert "fitness: not computed (needs all 8 harnesses)" in out
    assert not re.search(r"^fitness \d", out, re.MULTILINE)
    sense = next(x for x in out.splitlines() if "0 SENSE" in x)
    assert re.search(r"\[\d\.\d{3}, \d\.\d{3}\]\s+│?\s*\d+", sense), sense


@pytest.mark.prefect
def test_compare_batched_models_and_a_swarm_run_with_verdicts(
    prefect_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "batch", "demo", "--harness", "0,7", "--yes")
    assert code == 0, out
    assert "detects a difference of ≥" in out
    assert re.search(r"mockllm/atlas .*\[\d\.\d{3}, \d\.\d{3}\] n=\d+", out), out

    code, out, _ = cli(capsys, "compare", "mockllm/atlas", "mockllm/harbor")
    assert code == 0
    for expected in ("0 SENSE", "7 DECIDE", "p (Holm)", "verdict: "):
        assert expected in out

    code, out, _ = cli(capsys, "compare", "mockllm/atlas", "mockllm/harbor", "--json")
    assert code == 0
    report = json.loads(out)
    rows = report["harnesses"]
    assert [r["harness_id"] for r in rows] == [0, 7]
    for row, harness_id in zip(rows, (0, 7), strict=True):
        assert row["n"] == len(get_harness(harness_id).items)  # every item, on both sides
        assert row["ci_low"] <= row["difference"] <= row["ci_high"]
    assert [r["p_adjusted"] for r in rows] == holm([r["p_value"] for r in rows])
    assert report["overall"]["n"] == sum(r["n"] for r in rows)
    assert report["correction"] == "holm" and report["verdict"]

    code, out, _ = cli(capsys, "swarm", ":10", "--tier", "demo", "--harness", "0,7", "--yes")
    assert code == 0, out
    swarm_run = run_id_of(out)
    verdicts = [x for x in out.splitlines() if x.startswith("verdict: ")]
    assert len(verdicts) == 3
    for baseline in ("mean first-stage agent", "best single member", "majority vote"):
        assert any(baseline in v for v in verdicts), verdicts
    for verdict in verdicts:
        assert re.search(r"\[-?\d\.\d\d, -?\d\.\d\d\], p = \d\.\d{3}, for \$\d\.\d{4} (more|less)",
                         verdict), verdict  # fmt: skip
    assert re.search(r"swarm score \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] n=\d+", out), out
    assert re.search(r"best single agent \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] n=\d+ \(mockllm/", out)

    code, out, _ = cli(capsys, "compare", swarm_run, "mockllm/atlas", "--json")
    assert code == 0
    versus = json.loads(out)
    assert (versus["a"]["kind"], versus["b"]["kind"]) == ("swarm run", "model")
    assert versus["overall"]["n"] > 0

    code, out, _ = cli(capsys, "profile", "--all", "--format", "md")
    assert code == 0
    section = out.split("## Swarm verdicts", 1)[1]
    assert f"run `{swarm_run}`" in section
    for baseline in ("its mean first-stage agent", "its best single member", "majority vote"):
        assert baseline in section

    code, _, err = cli(capsys, "compare", "mockllm/atlas", "mockllm/nobody")
    assert code == 2
    assert err.startswith("error: ") and err.strip().count("\n") == 0
