"""Batch and eval flows on the simulated demo tier against a real Prefect API."""

from __future__ import annotations

from collections import Counter

import pytest

from flows.batch import batch_flow
from flows.eval import eval_flow
from mapelite.catalog import load_catalog
from mapelite.fitness import fitness
from mapelite.ledger import Ledger
from mapelite.settings import get_settings
from tests.flow_helpers import ledger_entries

pytestmark = pytest.mark.prefect


async def test_batch_runs_every_model_each_repeat_and_a_rerun_pays_nothing(prefect_api) -> None:
    demo = load_catalog().tier("demo")
    result = await batch_flow("demo", harness="7", runs=2, run_id="batch-1")

    entries = ledger_entries()
    assert Counter(e.model for e in entries) == dict.fromkeys(demo, 2)
    assert len({e.metadata.unit_key for e in entries}) == 16
    assert result.completed == 16 and result.simulated and result.complete

    again = await batch_flow("demo", harness="7", runs=2, run_id="batch-1")
    assert again.reused == 16 and len(ledger_entries()) == 16
    assert Ledger(get_settings().ledger).verify().valid


async def test_eval_runs_the_harnesses_in_id_order_and_returns_their_fitness(prefect_api) -> None:
    result = await eval_flow("mockllm/atlas", harness="7,0,3", run_id="eval-1")

    entries = ledger_entries()
    assert [e.harness_id for e in entries] == [0, 3, 7]
    assert result.fitness == pytest.approx(fitness(result.scores))
    assert set(result.scores) == {0, 3, 7} and result.simulated
