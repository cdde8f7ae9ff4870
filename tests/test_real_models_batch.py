"""Batches of real-model setups end to end through the batch flow and the model server behaving
as OpenRouter documents: reasoning that counts toward ``max_tokens`` (medium effort when none is
sent), ``usage.cost`` billed for every reply, the serving provider, pinned routing, and a
``:free`` model limited per request window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.batch import batch_flow
from mapelite.config.run_options import RunOptions
from mapelite.config.settings import get_settings
from mapelite.harnesses import HARNESSES
from mapelite.ledger.chain import Ledger
from mapelite.schemas import ItemOutcome
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, ModelScript
from tests.flow_helpers import ledger_entries, use_model_server

pytestmark = pytest.mark.prefect

NANO = "openrouter/openai/gpt-5-nano"
SERVED_NANO = "openai/gpt-5-nano"
FREE = "openrouter/meta-llama/llama-3.2-3b-instruct:free"
SERVED_FREE = "meta-llama/llama-3.2-3b-instruct:free"
NANO_PRICES = (0.05, 0.4)  # the shipped catalog's prices, as the server bills them


@pytest.fixture(scope="module")
def server() -> Iterator[ModelServer]:
    with ModelServer() as running:
        yield running


@pytest.fixture
def openrouter(server: ModelServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The server as OpenRouter, fresh counts, and a config file the test may fill."""
    server.reset_stats()
    config = tmp_path / "mapelite.toml"
    config.write_text("")

    def configure(text: str = "") -> None:
        config.write_text(text)
        monkeypatch.setenv("MAPELITE_CONFIG", str(config))
        use_model_server(monkeypatch, server)

    configure()
    return configure


def _items(model: str | None = None) -> list[ItemOutcome]:
    return [i for e in ledger_entries() if model in (None, e.model) for i in e.metadata.items]


async def test_a_reasoning_model_at_default_settings_answers_every_harness_once_at_billed_cost(
    prefect_api, server, openrouter
) -> None:
    server.script(
        SERVED_NANO,
        ModelScript(reasons=True, prices_per_m=NANO_PRICES, providers=("OpenAI", "Azure")),
    )
    result = await batch_flow(
        models=[NANO], harness="all", options=RunOptions(run_id="reasoner-default", bank="core")
    )

    items = _items()
    stats = server.stats(SERVED_NANO)
    assert len(items) == 48 and all(i.error is None for i in items), "full coverage"
    assert all(i.answer and i.finish_reason == "stop" for i in items), "no empty answer"
    assert stats.requests == 48 and len({entry.key for entry in stats.log}) == 48, "none twice"
    assert all(i.reasoning_tokens and i.thinking for i in items)
    assert all(i.tokens_out > (i.reasoning_tokens or 0) for i in items)
    assert {i.served_by for i in items} == {"OpenAI", "Azure"}
    assert {i.cost_source for i in items} == {"provider"}
    # The default for evaluation was sent: a bounded effort within answer + reasoning budget.
    assert {str(entry.fields["reasoning"]) for entry in stats.log} == {"{'effort': 'low'}"}
    budgets = {h.max_tokens + 2048 for h in HARNESSES.values()}
    assert {entry.fields["max_tokens"] for entry in stats.log} == budgets
    recorded = sum(e.metadata.cost_usd for e in ledger_entries())
    assert recorded == pytest.approx(stats.billed_usd, rel=0.01)
    assert result.cost.actual_usd == pytest.approx(stats.billed_usd, rel=0.01), "budget sees it"
    assert stats.billed_usd / 2 <= result.cost.estimated_usd <= 2 * stats.billed_usd
    assert Ledger(get_settings().ledger).verify().valid


async def test_paid_attempts_refused_as_empty_are_counted_in_the_spend_and_the_budget(
    prefect_api, server, openrouter
) -> None:
    refused = [Fault("empty_content")] * 3
    server.script(
        SERVED_NANO,
        ModelScript(reasons=True, prices_per_m=NANO_PRICES, fault_sequence=refused),
    )
    result = await batch_flow(
        models=[NANO], harness="0,7", options=RunOptions(run_id="reasoner-refused", bank="core")
    )

    stats = server.stats(SERVED_NANO)
    assert stats.requests == 12 + 3 and all(i.error is None for i in _items())
    assert sum(e.metadata.cost_usd for e in ledger_entries()) == pytest.approx(
        stats.billed_usd, rel=0.01
    )
    assert result.cost.actual_usd == pytest.approx(stats.billed_usd, rel=0.01)


async def test_a_reasoning_budget_too_small_records_truncated_answers_each_paid_once(
    prefect_api, server, openrouter
) -> None:
    # A model that thinks far more at low effort than low's budget leaves room for.
    verbose = {"minimal": 400, "low": 5000, "medium": 9000, "high": 20000}
    server.script(
        SERVED_NANO,
        ModelScript(reasons=True, prices_per_m=NANO_PRICES, reasoning_tokens=verbose),
    )
    result = await batch_flow(
        models=[NANO], harness="all", options=RunOptions(run_id="reasoner-truncated", bank="core")
    )

    items = _items()
    stats = server.stats(SERVED_NANO)
    assert len(items) == 48 and all(i.error is None for i in items), "a cut-off is an answer"
    assert all(i.truncated and i.native_finish_reason == "max_output_tokens" for i in items)
    assert all(i.answer == "" and i.score == 0.0 for i in items), "scored as written"
    assert stats.requests == 48 and len({entry.key for entry in stats.log}) == 48, "paid once"
    assert result.cost.actual_usd == pytest.approx(stats.billed_usd, rel=0.01)


async def test_a_configured_reasoning_setting_and_provider_pin_are_sent_and_recorded(
    prefect_api, server, openrouter
) -> None:
    openrouter(
        f'[models."{NANO}"]\nreasoning = "medium"\n'
        'provider = { order = ["Azure"], allow_fallbacks = false }\n'
    )
    server.script(
        SERVED_NANO,
        ModelScript(reasons=True, prices_per_m=NANO_PRICES, providers=("OpenAI", "Azure")),
    )
    await batch_flow(
        models=[NANO], harness="0,7", options=RunOptions(run_id="reasoner-configured", bank="core")
    )

    log = server.stats(SERVED_NANO).log
    assert len(log) == 12
    assert all(entry.fields["reasoning"] == {"effort": "medium"} for entry in log)
    assert all(entry.fields["provider"] == {"order": ["Azure"], "allow_fallbacks": False}
               for entry in log)  # fmt: skip
    entries = ledger_entries()
    assert {e.metadata.reasoning for e in entries} == {"medium"}
    assert {e.setup for e in entries} == {f"{NANO}@medium"}
    assert {i.served_by for i in _items()} == {"Azure"}


async def test_a_free_model_is_paced_to_its_request_window_and_never_refused(
    prefect_api, server, openrouter
) -> None:
    openrouter(f'[models."{FREE}"]\nrate_limit = {{ requests = 20, window_s = 1.0 }}\n')
    server.script(SERVED_FREE, ModelScript(rate_limit=(20, 1.0), rate_group="free"))
    await batch_flow(
        models=[FREE], harness="7", options=RunOptions(run_id="free-paced", bank="gen", items=120)
    )

    stats = server.stats(SERVED_FREE)
    items = _items()
    assert len(items) == 120 and all(i.error is None for i in items), "full coverage"
    assert stats.rate_limited == 0, "paced before the server had to refuse"
    assert stats.requests == 120
    assert stats.busiest_window(1.0) <= 20
