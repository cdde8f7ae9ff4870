"""Batch and eval flows on the simulated demo tier against a real Prefect API."""

from __future__ import annotations

from collections import Counter

import pytest

from flows.batch import batch_flow
from flows.eval import eval_flow
from mapelite.catalog.models import load_catalog
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.ledger.chain import Ledger
from mapelite.stats.fitness import fitness
from tests.flow_helpers import ledger_entries

pytestmark = pytest.mark.prefect


async def test_batch_runs_every_model_each_repeat_and_a_rerun_pays_nothing(prefect_api) -> None:
    demo = load_catalog().tier("demo")
    result = await batch_flow("demo", harness="7", options=RunOptions(runs=2, run_id="batch-1"))

    entries = ledger_entries()
    assert Counter(e.model for e in entries) == dict.fromkeys(demo, 2)
    assert len({e.metadata.unit_key for e in entries}) == 16
    assert result.completed == 16 and result.simulated and result.complete

    again = await batch_flow("demo", harness="7", options=RunOptions(runs=2, run_id="batch-1"))
    assert again.reused == 16 and len(ledger_entries()) == 16
    assert Ledger(get_settings().ledger).verify().valid


async def test_eval_runs_the_harnesses_in_id_order_and_gives_no_fitness_over_some(
    prefect_api,
) -> None:
    result = await eval_flow("mockllm/atlas", harness="7,0,3", options=RunOptions(run_id="eval-1"))

    entries = ledger_entries()
    assert [e.harness_id for e in entries] == [0, 3, 7]
    assert result.fitness is None and result.fitness_ci_low is None  # 3 of 8 harnesses
    assert set(result.scores) == {0, 3, 7} and result.simulated
    for harness_id, interval in result.intervals.items():
        assert interval.mean == pytest.approx(result.scores[harness_id])
        assert interval.ci_low <= interval.mean <= interval.ci_high and interval.n > 0


async def test_eval_on_all_harnesses_returns_its_fitness_with_a_ci(prefect_api) -> None:
    result = await eval_flow("mockllm/atlas", options=RunOptions(run_id="eval-all", item_limit=4))

    assert set(result.scores) == set(range(8))
    assert result.fitness == pytest.approx(fitness(result.scores))
    assert result.fitness_ci_low is not None and result.fitness_ci_high is not None
    assert result.fitness_ci_low <= result.fitness <= result.fitness_ci_high
    assert result.fitness_ci_high - result.fitness_ci_low > 0


async def test_a_batch_costs_one_task_run_per_chunk_of_units_not_one_per_unit(
    prefect_api,
) -> None:
    from flows.common import CHUNK_UNITS

    result = await batch_flow(
        "demo", harness="all", options=RunOptions(runs=2, run_id="batch-chunks", item_limit=1)
    )

    entries = ledger_entries()
    task_runs = {e.metadata.engine_id["prefect_task_run"] for e in entries}
    assert result.completed == result.units == len(entries)
    assert len(task_runs) <= -(-result.units // CHUNK_UNITS) + 1, "one task run per chunk"
    assert {len(e.metadata.items) for e in entries} == {1}, "item_limit reaches the runner"
    assert Ledger(get_settings().ledger).verify().valid


async def test_results_completing_together_share_one_ledger_append(tmp_path) -> None:
    import asyncio

    from mapelite.schemas import HarnessResult, ResultMetadata, Scores
    from tasks.ledger import LedgerAppender

    appender = LedgerAppender(tmp_path / "ledger.jsonl")
    results = [
        HarnessResult(
            harness_id=0,
            harness_name="SENSE",
            model="mockllm/atlas",
            scores=Scores(raw=1, normalized=1),
            metadata=ResultMetadata(run_id="coalesce", unit_key=f"coalesce/s0/a{i}/h0"),
        )
        for i in range(50)
    ]
    stored = await asyncio.gather(*(appender.append(r) for r in results))

    assert [s.metadata.unit_key for s in stored] == [r.metadata.unit_key for r in results]
    assert appender.appends < len(results) / 2, "concurrent results are written together"
    assert Ledger(tmp_path / "ledger.jsonl").verify().entries == 50
