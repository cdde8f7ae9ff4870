"""Cost estimates: calls × (prompt + expected completion tokens) × catalog prices."""

from __future__ import annotations

import pytest

from mapelite.catalog.cost import call_cost_usd, estimate_batch, estimate_swarm
from mapelite.catalog.models import Catalog, ModelEntry, load_catalog
from mapelite.harnesses.base import Harness, Item, estimate_tokens
from mapelite.swarm.patterns import parse_pattern
from mapelite.swarm.plan import UPSTREAM_ANSWER_CAP

CHEAP = "openrouter/test/cheap"
PRICEY = "openrouter/test/pricey"


def _catalog() -> Catalog:
    models = [
        ModelEntry(
            id=CHEAP,
            provider="openrouter",
            name="test/cheap",
            input_price_per_m=0.03,
            output_price_per_m=0.03,
        ),
        ModelEntry(
            id=PRICEY,
            provider="openrouter",
            name="test/pricey",
            input_price_per_m=1.0,
            output_price_per_m=2.0,
        ),
        ModelEntry(
            id="mockllm/sim",
            provider="mockllm",
            name="sim",
            input_price_per_m=0.01,
            output_price_per_m=0.02,
            skill=0.5,
            simulated=True,
        ),
    ]
    return Catalog(models, {"t": [CHEAP, PRICEY], "sim": ["mockllm/sim"]}, hash="0" * 64)


def _harness(items: int = 1, prompt_tokens: int = 799, completion: int = 200) -> Harness:
    """A harness whose every item costs ``1 + prompt_tokens`` prompt tokens (system = 1)."""
    item = Item(
        id="i",
        prompt="x" * (4 * prompt_tokens),
        reference="a",
        near_miss="b",
        score=lambda answer: float(answer == "a"),
    )
    return Harness(
        id=0,
        name="SENSE",
        description="test",
        items=[item] * items,
        max_tokens=1000,
        expected_completion_tokens=completion,
        system="",
    )


def test_test_harness_has_the_intended_size():
    harness = _harness()
    assert estimate_tokens("") == 1
    assert harness.prompt_tokens() + harness.expected_completion_tokens == 1000


def test_512_runs_at_1000_tokens_and_3_cents_per_million_cost_about_1_5_cents():
    estimate = estimate_batch(
        [CHEAP], [0], 512, tier="t", catalog=_catalog(), harness_lookup=lambda _: _harness()
    )
    assert estimate.total_calls == 512
    assert estimate.estimated_tokens == 512_000
    assert estimate.estimated_cost == pytest.approx(0.01536)
    assert estimate.avg_price_per_m == pytest.approx(0.03)
    assert estimate.warning is None and not estimate.simulated
    assert estimate.pattern is None and estimate.model_count == 1


def test_call_cost_uses_input_and_output_prices():
    catalog = _catalog()
    assert call_cost_usd(PRICEY, 1_000_000, 0, catalog=catalog) == pytest.approx(1.0)
    assert call_cost_usd(PRICEY, 500_000, 1_000_000, catalog=catalog) == pytest.approx(2.5)
    assert call_cost_usd("ollama/llama3.2:1b", 10**6, 10**6) == 0.0


def test_a_harness_run_makes_one_call_per_item_and_worst_case_uses_max_tokens():
    harness = _harness(items=5, completion=100)
    estimate = estimate_batch(
        [PRICEY], [0, 0], 2, tier="t", catalog=_catalog(), harness_lookup=lambda _: harness
    )
    runs = 2 * 2  # two harness selections, two runs each
    assert estimate.total_calls == runs * 5
    prompt = harness.prompt_tokens()
    assert estimate.estimated_cost == pytest.approx(runs * (prompt * 1.0 + 500 * 2.0) / 1e6)
    assert estimate.worst_case_cost == pytest.approx(runs * (prompt * 1.0 + 5000 * 2.0) / 1e6)


def test_swarm_estimate_prices_each_agent_with_its_planned_model_and_the_lead_for_width_one():
    harness = _harness(items=1, prompt_tokens=99, completion=50)

    def per_model(lead: str | None) -> dict[str, float]:
        return estimate_swarm(
            parse_pattern(":1010"),
            [CHEAP, PRICEY],
            [0],
            tier="t",
            lead=lead,
            catalog=_catalog(),
            harness_lookup=lambda _: harness,
        ).per_model_cost

    cheap_lead, pricey_lead = per_model(None), per_model(PRICEY)
    # 16 wide-stage agents alternate CHEAP/PRICEY; the two aggregators follow the lead.
    assert cheap_lead[PRICEY] < pricey_lead[PRICEY]
    assert cheap_lead[CHEAP] > pricey_lead[CHEAP]


def test_swarm_estimate_counts_every_agent_and_bounds_the_aggregator_prompt():
    harness = _harness(items=2, prompt_tokens=99, completion=50)
    catalog = _catalog()
    narrow = estimate_swarm(
        parse_pattern(":10"),
        [CHEAP],
        [0],
        tier="t",
        catalog=catalog,
        harness_lookup=lambda _: harness,
    )
    wide = estimate_swarm(
        parse_pattern(":20"),
        [CHEAP],
        [0],
        tier="t",
        catalog=catalog,
        harness_lookup=lambda _: harness,
    )
    assert narrow.total_calls == (8 + 1) * 2
    assert wide.total_calls == (64 + 1) * 2
    run_tokens = 2 * (1 + 99) + 2 * 50  # per harness run: 2 prompts (system 1 + 99), 2 answers
    aggregator_extra = 2 * UPSTREAM_ANSWER_CAP * 50
    assert narrow.estimated_tokens == 9 * run_tokens + aggregator_extra
    # 64 upstream answers cost the aggregator no more prompt than 8 do
    assert wide.estimated_tokens == 65 * run_tokens + aggregator_extra
    assert wide.pattern == ":20" and wide.model_count == 1


def test_consumers_read_the_single_upstream_answer():
    harness = _harness(items=1, prompt_tokens=99, completion=50)
    estimate = estimate_swarm(
        parse_pattern(":01"),
        [CHEAP],
        [0],
        tier="t",
        catalog=_catalog(),
        harness_lookup=lambda _: harness,
    )
    assert estimate.estimated_tokens == 9 * (100 + 50) + 8 * 50


def test_estimate_above_warn_usd_carries_a_warning():
    estimate = estimate_swarm(
        parse_pattern(":20"),
        [PRICEY],
        [0],
        tier="t",
        warn_usd=0.01,
        catalog=_catalog(),
        harness_lookup=lambda _: _harness(items=5),
    )
    assert estimate.estimated_cost > 0.01
    assert estimate.warning is not None and "MAPELITE_WARN_USD" in estimate.warning


def test_all_mockllm_models_mark_the_estimate_simulated():
    estimate = estimate_batch(
        ["mockllm/sim"], [0], 1, tier="sim", catalog=_catalog(), harness_lookup=lambda _: _harness()
    )
    assert estimate.simulated


def test_real_harnesses_and_shipped_tier1_estimate_a_small_positive_cost():
    catalog = load_catalog()
    estimate = estimate_swarm(
        parse_pattern(":1010"), catalog.tier("tier1"), list(range(8)), tier="tier1"
    )
    assert 0 < estimate.estimated_cost < estimate.worst_case_cost < 5.0
    assert estimate.model_count == 8  # the width-8 stages use the first 8 of the tier
    assert estimate.total_calls > 18 * 8 * 5 - 1  # 18 agents, 8 harnesses, >= 5 items each


def test_a_reasoning_model_is_estimated_with_the_reasoning_its_setting_is_expected_to_spend():
    from mapelite.providers.reasoning import EXPECTED_REASONING_TOKENS, REASONING_BUDGET_TOKENS
    from mapelite.schemas import HarnessRunnerOptions, ReasoningSetting

    nano, plain = "openrouter/openai/gpt-5-nano", "openrouter/openai/gpt-4.1-nano"
    low = estimate_batch([nano], [7], 1, tier="models")
    high = estimate_batch(
        [nano], [7], 1, tier="models",
        options=HarnessRunnerOptions(reasoning=ReasoningSetting.parse("high")),
    )  # fmt: skip
    same_prices = estimate_batch([plain], [7], 1, tier="models")  # does not reason
    items = low.total_calls
    extra = EXPECTED_REASONING_TOKENS["low"] * items * 0.4 / 1e6
    # gpt-5-nano's output price is 0.4/M, as gpt-4.1-nano's; its input price differs.
    assert low.estimated_tokens - same_prices.estimated_tokens == (
        EXPECTED_REASONING_TOKENS["low"] * items
    )
    assert low.estimated_cost > extra
    assert high.estimated_cost > low.estimated_cost
    worst_extra = REASONING_BUDGET_TOKENS["high"] * items * 0.4 / 1e6
    assert high.worst_case_cost - low.worst_case_cost == pytest.approx(
        worst_extra - REASONING_BUDGET_TOKENS["low"] * items * 0.4 / 1e6
    )
