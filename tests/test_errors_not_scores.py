"""Errors are not scores: a failed item is recorded with its error, left out of the score
means, counted as missing coverage, and its unit is run again on resume."""

from __future__ import annotations

import pytest

from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.ledger.outcomes import coverage, has_errors, mean_scored, scored_mean, scores_of
from mapelite.schemas import HarnessResult, ItemOutcome, ResultMetadata, Scores
from mapelite.swarm.plan import is_done
from mapelite.testing.scripts import Fault, ModelScript

ITEMS = len(get_harness(0).items)


def entry(items: list[ItemOutcome], scores: Scores, *, error: str | None = None) -> HarnessResult:
    return HarnessResult(
        harness_id=0,
        harness_name="SENSE",
        model="openai/m",
        scores=scores,
        metadata=ResultMetadata(run_id="r", unit_key="k", items=items, error=error),
    )


def test_scores_are_the_mean_over_scored_items_only():
    items = [
        ItemOutcome(item_id="a", score=1.0),
        ItemOutcome(item_id="b", score=0.5),
        ItemOutcome(item_id="c", score=0.0, error="ProviderUnavailableError: HTTP 500"),
    ]
    assert scores_of(items) == Scores(raw=1.5, normalized=0.75)


def test_a_run_with_nothing_scored_has_zero_scores_and_zero_coverage():
    items = [ItemOutcome(item_id="a", score=0.0, error="AuthError: HTTP 401")]
    result = entry(items, scores_of(items), error="AuthError: HTTP 401")
    assert result.scores == Scores(raw=0.0, normalized=0.0)
    assert coverage(result).scored == 0 and coverage(result).errors == 1
    assert scored_mean(result) is None, "zero scored items is no score, not a score of 0"
    assert mean_scored([result]) is None


def test_a_format_1_entry_with_a_failed_item_reads_as_an_error_not_a_zero():
    # Format 1 stored scores 0 whenever one item failed; the items still say what happened.
    items = [
        ItemOutcome(item_id="a", score=1.0),
        ItemOutcome(item_id="b", score=0.0, error="ProviderTimeoutError: timed out"),
    ]
    old = entry(items, Scores(raw=0.0, normalized=0.0), error="ProviderTimeoutError: timed out")
    assert old.version == 1
    assert scored_mean(old) == 1.0
    assert coverage(old).fraction == 0.5


def test_a_stored_run_with_an_item_error_is_not_done_even_without_a_run_error():
    items = [ItemOutcome(item_id="a", score=1.0), ItemOutcome(item_id="b", score=0, error="x")]
    result = entry(items, scores_of(items))
    assert result.metadata.error is None
    assert has_errors(result) and not is_done(result)
    clean = entry(items[:1], scores_of(items[:1]))
    assert is_done(clean)


@pytest.mark.prefect
async def test_batch_where_a_third_of_calls_fail_scores_the_rest_and_resume_reruns_them(
    prefect_api, model_server, monkeypatch
):
    from flows.batch import batch_flow
    from tests.flow_helpers import use_model_server

    use_model_server(monkeypatch, model_server)
    failing = ITEMS // 3
    # Each model's first `failing` calls answer 500; no retries: those items end in errors.
    model_server.script("*", ModelScript(fault_sequence=[Fault("server_error")] * failing))
    first = await batch_flow(
        "tier1", harness="0", options=RunOptions(run_id="third", retries=0, bank="core")
    )

    ledger = Ledger(get_settings().ledger)
    stored = ledger.results_for_run("third")
    assert len(stored) == first.units == 10
    assert first.failed == first.units, "every unit has missing coverage"
    for result in stored.values():
        cover = coverage(result)
        assert (cover.scored, cover.total) == (ITEMS - failing, ITEMS)
        scored = [i.score for i in result.metadata.items if i.error is None]
        assert result.scores.raw == pytest.approx(sum(scored))
        assert result.scores.normalized == pytest.approx(sum(scored) / len(scored))
        assert all(i.error and "500" in i.error for i in result.metadata.items if not i.scored)
    calls_before = model_server.total_stats().requests
    assert calls_before == first.units * ITEMS

    second = await batch_flow(
        "tier1", harness="0", options=RunOptions(run_id="third", retries=0, bank="core")
    )
    # The fault sequence is spent: every unit runs again (each had errors) and is now whole,
    # paying only for its failed items (its scored ones are taken over from the ledger).
    assert model_server.total_stats().requests - calls_before == first.units * failing
    assert second.reused_items == first.units * (ITEMS - failing)
    assert second.failed == 0 and second.reused == 0
    latest = ledger.results_for_run("third")
    assert all(coverage(r).fraction == 1.0 for r in latest.values()), "the new entry supersedes"
    assert len([e for e in ledger.read() if e.metadata.run_id == "third"]) == 2 * first.units

    third = await batch_flow(
        "tier1", harness="0", options=RunOptions(run_id="third", retries=0, bank="core")
    )
    assert third.reused == first.units, "complete units are not run a third time"
    assert model_server.total_stats().requests - calls_before == first.units * failing
