"""A resumed run pays only for what its ledger entries are missing: every scored item stored
under the run id is taken over, with or without ``--cache``, by any runner (counted at the
project's model server, which logs each call's messages)."""

from __future__ import annotations

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.config.settings import get_settings
from mapelite.errors import EXIT_COMPLETED_WITH_ERRORS, EXIT_OK
from mapelite.harnesses import get_harness
from mapelite.ledger.chain import Ledger
from mapelite.ledger.outcomes import coverage, paid_usd
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from tests.flow_helpers import map_elite
from tests.test_cli_faults import ALL_AT_ONCE, server_env

pytestmark = pytest.mark.prefect

ITEMS = len(get_harness(0).items)
TIER1 = load_catalog().tier("tier1")
# Each model's first calls meet one fault each (no retries: each is an item error), the rest
# answer: 429, 500, a hung call, an HTML page, an empty answer.
FAULTS = [
    Fault.rate_limit(),
    Fault("server_error"),
    Fault.hang(30),
    Fault("html"),
    Fault("empty_content"),
]


def answered_calls(server: ModelServer) -> set[str]:
    """Message hashes of the calls the server answered normally."""
    names = {model.split("/", 1)[1] for model in TIER1}
    return {
        entry.key
        for name in names
        for entry in server.stats(name).log
        if entry.status == 200 and entry.fault is None
    }


def sent_calls(server: ModelServer) -> list[str]:
    names = {model.split("/", 1)[1] for model in TIER1}
    return [entry.key for name in names for entry in server.stats(name).log]


def test_a_faulted_batch_resumed_without_cache_pays_only_for_its_missing_items(
    prefect_api, model_server
) -> None:
    model_server.script("*", ModelScript(fault_sequence=FAULTS))
    args = ["batch", "tier1", "-H", "0", "--yes", "--retries", "0", "--call-timeout", "1"]
    env = server_env(model_server, MAPELITE_PROVIDER_LIMITS=ALL_AT_ONCE)

    first = map_elite(*args, "--run-id", "faulted", prefect_api=prefect_api, **env)

    assert first.returncode == EXIT_COMPLETED_WITH_ERRORS, first.stdout + first.stderr
    ledger = Ledger(get_settings().ledger)
    before = ledger.results_for_run("faulted")
    missing = sum(coverage(r).errors for r in before.values())
    scored = sum(coverage(r).scored for r in before.values())
    assert missing >= 4 * len(TIER1), "the faults made item errors"
    paid_once = answered_calls(model_server)
    spent_before = sum(paid_usd(r) for r in before.values())
    model_server.reset_stats()
    model_server.script("*", ModelScript())

    second = map_elite(*args, "--run-id", "faulted", prefect_api=prefect_api, **env)

    assert second.returncode == EXIT_OK, second.stdout + second.stderr
    resent = sent_calls(model_server)
    assert not paid_once & set(resent), "an answer the ledger holds was paid for again"
    assert len(resent) == missing, "exactly the missing items were asked"
    assert f"reused: {scored} scored items" in second.stdout
    after = ledger.results_for_run("faulted")
    assert all(coverage(r).fraction == 1.0 for r in after.values())
    for key, result in after.items():
        taken = [item for item in result.metadata.items if item.reused]
        assert {item.reused_from for item in taken} == {before[key].hash}
        originals = {i.item_id: i for i in before[key].metadata.items if i.scored}
        assert {i.item_id: (i.answer, i.cost_usd) for i in taken} == {
            i.item_id: (i.answer, i.cost_usd) for i in originals.values()
        }, "a reused item keeps the original answer and cost"
        fresh = sum(i.cost_usd for i in result.metadata.items if not i.reused)
        assert result.metadata.cost_usd == pytest.approx(fresh), "the entry's own spend only"
    spent_after = sum(paid_usd(r) for r in after.values())
    assert spent_after >= spent_before, "every paid answer is counted once"
    assert ledger.verify().valid
