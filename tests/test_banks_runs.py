"""Runs answer the sampled items: every model the same ones, each outcome naming its bank."""

from __future__ import annotations

import pytest

from flows.batch import batch_flow, resolve_batch
from mapelite.banks import sample_items
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.ledger.chain import Ledger
from mapelite.schemas import HarnessRunnerOptions
from runners.local import LocalHarnessRunner
from tests.flow_helpers import ledger_entries

MODELS = ["mockllm/atlas", "mockllm/birch"]


async def test_two_models_answer_the_same_sampled_items_and_outcomes_name_the_bank():
    options = HarnessRunnerOptions(bank="gen", items=50, item_seed=7, timeout_s=30)
    expected = [item.id for item in sample_items(7, 50, 7, bank="gen")]
    runner = LocalHarnessRunner()
    try:
        results = await runner.run_batch(7, MODELS, options)
        alone = await runner.run(7, MODELS[0], options)
    finally:
        await runner.aclose()
    for result in [*results, alone]:
        outcomes = result.metadata.items
        assert [o.item_id for o in outcomes] == expected
        assert {(o.bank, o.bank_version) for o in outcomes} == {("gen", "2")}
        assert all(o.family and o.family.startswith("decide-g2:") for o in outcomes)
        assert result.metadata.error is None
    # The simulator answers the generated items' own references and near misses.
    assert all(0.0 < r.scores.normalized < 1.0 for r in results[1:])
    assert alone.scores == results[0].scores


async def test_a_store_run_at_a_longer_context_reads_longer_prompts():
    runner = LocalHarnessRunner()
    try:
        short, long = [
            await runner.run(
                6, MODELS[0], HarnessRunnerOptions(bank="gen", items=3, context_tokens=tokens)
            )
            for tokens in (1000, 16000)
        ]
    finally:
        await runner.aclose()
    assert long.metadata.tokens_in > 10 * short.metadata.tokens_in
    assert all("-t16000-" in o.item_id for o in long.metadata.items)


async def test_core_runs_still_answer_the_six_curated_items():
    runner = LocalHarnessRunner()
    try:
        result = await runner.run(0, MODELS[0], HarnessRunnerOptions())
    finally:
        await runner.aclose()
    assert [o.item_id for o in result.metadata.items] == [f"sense-0{n}" for n in range(1, 7)]
    assert {o.bank for o in result.metadata.items} == {"core"}


def test_the_batch_estimate_is_priced_on_the_sample():
    settings = get_settings()
    core = resolve_batch("demo", "6", settings).estimate
    sample = RunOptions(bank="gen", items=6, context_tokens=16000)
    long = resolve_batch("demo", "6", settings, sample).estimate
    assert long.total_calls == core.total_calls
    assert long.estimated_tokens > 10 * core.estimated_tokens


@pytest.mark.prefect
async def test_two_models_batched_with_the_same_sample_have_identical_item_sets(prefect_api):
    sample = RunOptions(run_id="banks-1", bank="gen", items=50, item_seed=7)
    result = await batch_flow("demo", harness="0,6", options=sample)
    entries = ledger_entries()
    assert result.completed == len(entries) == 16
    for harness_id in (0, 6):
        sets = {
            frozenset(o.item_id for o in e.metadata.items)
            for e in entries
            if e.harness_id == harness_id
        }
        assert len(sets) == 1
        assert len(next(iter(sets))) == 50
    assert all(o.bank == "gen" for e in entries for o in e.metadata.items)
    assert Ledger(get_settings().ledger).verify().valid


def test_a_shipped_request_carries_the_sample_to_remote_workers():
    from runners.base import UnitRequest
    from runners.temporal_chunks import estimated_result_bytes

    options = HarnessRunnerOptions(bank="gen", items=40, item_seed=3, context_tokens=8000)
    request = UnitRequest(harness_id=6, model=MODELS[0], options=options)
    shipped = UnitRequest.model_validate_json(request.model_dump_json())
    assert shipped.options == options
    core = UnitRequest(harness_id=6, model=MODELS[0], options=HarnessRunnerOptions())
    assert estimated_result_bytes(shipped) > 5 * estimated_result_bytes(core)


@pytest.mark.prefect
async def test_resuming_a_run_id_with_another_sample_is_refused(prefect_api):
    from mapelite.errors import InvalidInputError

    sample = RunOptions(run_id="banks-2", bank="gen", items=5, item_seed=1)
    await batch_flow("demo", harness="7", options=sample)
    again = await batch_flow("demo", harness="7", options=sample)
    assert again.reused == again.units
    other = sample.model_copy(update={"item_seed": 2})
    with pytest.raises(InvalidInputError, match="another item sample"):
        await batch_flow("demo", harness="7", options=other)
