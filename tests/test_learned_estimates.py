"""Estimates that learn: a setup's completion tokens measured in the ledger (median and p90 of
its harness runs) price it when there are any; without, the prior per reasoning setting; the
estimate says which it used, in its table and its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.app import run_app
from cli.main import build_app
from mapelite.catalog.cost import call_cost_usd, estimate_batch
from mapelite.catalog.models import load_catalog
from mapelite.catalog.observed import observed_tokens
from mapelite.harnesses.registry import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.ledger.summary import summary_path
from mapelite.providers.reasoning import EXPECTED_REASONING_TOKENS
from tests.test_setup_profiles import NANO, entry

DECIDE = 7


@pytest.fixture
def measured(mapelite_home: Path) -> Path:
    """Two DECIDE runs of NANO@low: items spent 40 tokens (stopped) or 600 (cut off)."""
    path = mapelite_home / "ledger.jsonl"
    book = Ledger(path)
    book.append(entry("low", "sssl", run_id="r-1"))  # p50 40, p90 600
    book.append(entry("low", "ssll", run_id="r-2"))  # p50 600 (the higher middle), p90 600
    return path


def test_observed_tokens_are_the_median_of_the_runs_per_harness(measured: Path) -> None:
    seen = observed_tokens(measured).lookup(f"{NANO}@low", DECIDE)
    assert seen is not None and (seen.median, seen.p90, seen.runs) == (320, 600, 2)
    assert seen.scope == "harness"
    pooled = observed_tokens(measured).lookup(f"{NANO}@low", 0)  # no SENSE run: all harnesses
    assert pooled is not None and pooled.scope == "setup"
    assert observed_tokens(measured).lookup(f"{NANO}@high", DECIDE) is None


def test_the_ledger_and_its_summary_give_the_same_observations(measured: Path) -> None:
    from_summary = observed_tokens(measured)
    summary_path(measured).unlink()  # out of step: read from the ledger's lines
    Ledger(measured).append(entry("high", "s", run_id="r-3"))
    from_ledger = observed_tokens(measured)
    assert from_ledger.runs[(f"{NANO}@low", DECIDE)] == from_summary.runs[(f"{NANO}@low", DECIDE)]
    assert from_ledger.runs[(f"{NANO}@high", DECIDE)] == [(40, 40)]


def test_observed_tokens_win_over_the_prior_and_the_estimate_says_so(measured: Path) -> None:
    harness = get_harness(DECIDE)
    items = len(harness.items)
    estimate = estimate_batch([f"{NANO}@low", f"{NANO}@high"], [DECIDE], 1, tier="models")
    low, high = estimate.completion_basis[f"{NANO}@low"], estimate.completion_basis[f"{NANO}@high"]
    assert (low.source, low.median_tokens, low.p90_tokens, low.runs_observed) == (
        "observed",
        320,
        600,
        2,
    )
    assert (
        high.source == "prior" and high.prior_reasoning_tokens == EXPECTED_REASONING_TOKENS["high"]
    )
    catalog = load_catalog()
    prompt = harness.prompt_tokens()
    assert estimate.per_model_cost[f"{NANO}@low"] == pytest.approx(
        call_cost_usd(NANO, prompt, items * 320, catalog=catalog)
    )
    thinking = items * EXPECTED_REASONING_TOKENS["high"]
    assert estimate.per_model_cost[f"{NANO}@high"] == pytest.approx(
        call_cost_usd(
            NANO,
            prompt,
            items * harness.expected_completion_tokens + thinking,
            catalog=catalog,
            reasoning_tokens=thinking,
        )
    )


def test_cost_estimate_names_its_basis_per_setup(
    measured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["cost-estimate", ":1", "--models", f"{NANO}@low,{NANO}@high", "-H", "7"]
    assert run_app(build_app(), [*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["completion_basis"][f"{NANO}@low"]["source"] == "observed"
    assert data["completion_basis"][f"{NANO}@high"]["source"] == "prior"
    assert run_app(build_app(), argv) == 0
    out = capsys.readouterr().out
    assert f"{NANO}@low: observed: median 320, p90 600 tokens/item (2 runs)" in out
    assert f"{NANO}@high: prior: harness answer tokens + 4096 reasoning (high)" in out
