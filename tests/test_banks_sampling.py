"""The bank registry and sampler: core items unchanged, HumanEval complete, options applied,
and the cost estimate priced on the sampled prompts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mapelite.banks import (
    DEFAULT_BANK,
    DEFAULT_CONTEXT_TOKENS,
    DEFAULT_ITEM_SEED,
    DEFAULT_ITEMS,
    bank_names,
    harness_for,
    items_for,
    sample_items,
)
from mapelite.banks.humaneval import humaneval_items
from mapelite.banks.listing import bank_table, item_views
from mapelite.catalog.cost import estimate_batch, estimate_swarm
from mapelite.catalog.models import load_catalog
from mapelite.errors import InvalidInputError
from mapelite.harnesses import HARNESSES, get_harness
from mapelite.schemas import HarnessRunnerOptions, ReasoningSetting
from mapelite.swarm.patterns import parse_pattern

CORE_IDS = {
    0: "sense",
    1: "fuse",
    2: "shape",
    3: "deliver",
    4: "disrupt",
    5: "immunize",
    6: "store",
    7: "decide",
}


@pytest.mark.parametrize("harness_id", sorted(HARNESSES))
def test_core_bank_keeps_ids_prompts_and_scores(harness_id):
    harness = get_harness(harness_id)
    items = sample_items(harness_id)
    assert [i.id for i in items] == [f"{CORE_IDS[harness_id]}-0{n}" for n in range(1, 7)]
    assert [i.prompt for i in items] == [i.prompt for i in harness.items]
    version = "2" if harness_id == 2 else "1"  # SHAPE's core bank: 2 since pass@1
    assert all(i.bank == "core" and i.bank_version == version and i.family is None for i in items)
    assert harness_for(harness_id, HarnessRunnerOptions()) is harness
    for item in items[:2] if harness_id == 2 else items:
        assert item.score(item.reference) == 1.0
        assert item.score(item.near_miss) < 1.0


def test_core_sample_of_three_is_seeded_and_drawn_from_the_six():
    first = sample_items(7, 3, 5)
    assert first == sample_items(7, 3, 5)
    assert len(first) == 3
    assert {i.id for i in first} <= {i.id for i in get_harness(7).items}


def test_every_humaneval_canonical_solution_passes_its_own_tests_through_shape_scoring():
    items = humaneval_items()
    assert len(items) == 164
    assert len({i.id for i in items}) == 164
    with ThreadPoolExecutor(max_workers=8) as pool:
        scores = list(pool.map(lambda i: (i.id, i.score(i.reference), i.score(i.near_miss)), items))
    # The sandbox's budgets are wall-clock: eight at once on a shared machine can run one out.
    # A reference that failed is scored again alone, and must pass then.
    by_id = {item.id: item for item in items}
    slow = [item_id for item_id, ref, _ in scores if ref != 1.0]
    assert [
        item_id for item_id in slow if by_id[item_id].score(by_id[item_id].reference) != 1.0
    ] == []
    assert [item_id for item_id, _, miss in scores if miss >= 1.0] == []


def test_humaneval_bank_gives_all_164_or_a_seeded_sample_and_only_for_shape():
    assert len(sample_items(2, 164, 0, bank="humaneval")) == 164
    assert [i.id for i in sample_items(2, None, 0, bank="humaneval")][:2] == [
        "HumanEval/0",
        "HumanEval/1",
    ]
    assert len(sample_items(2, 10, 3, bank="humaneval")) == 10
    with pytest.raises(InvalidInputError, match="humaneval belongs to harness 2"):
        sample_items(0, 5, 0, bank="humaneval")
    assert "humaneval" in bank_names(2) and "humaneval" not in bank_names(0)


def test_unknown_bank_and_bad_sample_size_are_clear_input_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="unknown bank 'nope'"):
        sample_items(0, 5, 0, bank="nope")
    with pytest.raises(InvalidInputError, match="at least 1"):
        sample_items(0, 0, 0, bank="gen")


def test_options_choose_the_sample_and_item_limit_cuts_it():
    options = HarnessRunnerOptions(bank="gen", items=20, item_seed=4, item_limit=5)
    items = items_for(7, options)
    assert [i.id for i in items] == [i.id for i in sample_items(7, 20, 4, bank="gen")[:5]]
    assert harness_for(7, options).items == tuple(items)
    assert len(items_for(0, HarnessRunnerOptions(item_limit=2))) == 2


def test_listing_shows_every_harness_banks_and_the_sample_a_run_would_answer():
    table = bank_table()
    assert {(row.harness_id, row.bank) for row in table} >= {(h, "gen") for h in range(8)}
    assert any(row.bank == "humaneval" and row.items == 164 for row in table)
    views = item_views(7, 3, 1, bank="gen")
    assert [v.id for v in views] == [i.id for i in sample_items(7, 3, 1, bank="gen")]
    assert set(views[0].model_dump()) >= {"id", "bank", "prompt", "reference"}


def test_cost_estimate_prices_the_sampled_prompts():
    catalog = load_catalog()
    models = ["openrouter/meta-llama/llama-3.1-8b-instruct"]

    def cost(tokens: int) -> float:
        options = HarnessRunnerOptions(bank="gen", items=10, context_tokens=tokens)
        return estimate_batch(
            models, [6], 1, tier="t", options=options, catalog=catalog
        ).estimated_cost

    small, large = cost(1000), cost(64000)
    # Prompt tokens dominate: 64× the context costs far more than 30× as much.
    assert large > 30 * small
    pattern = parse_pattern(":10")
    options = HarnessRunnerOptions(bank="gen", items=10, context_tokens=64000)
    swarm = estimate_swarm(pattern, models, [6], tier="t", options=options, catalog=catalog)
    assert swarm.total_calls == 9 * 10
    assert swarm.estimated_tokens > 9 * 10 * 60_000


def test_default_sample_keeps_a_tier1_batch_of_all_harnesses_within_fifty_cents():
    catalog = load_catalog()
    options = HarnessRunnerOptions(
        bank=DEFAULT_BANK,
        items=DEFAULT_ITEMS,
        item_seed=DEFAULT_ITEM_SEED,
        context_tokens=DEFAULT_CONTEXT_TOKENS,
    )
    models = catalog.tier("tier1")
    estimate = estimate_batch(
        models, list(range(8)), 1, tier="tier1", options=options, catalog=catalog
    )
    assert estimate.total_calls == len(models) * 8 * DEFAULT_ITEMS
    assert estimate.estimated_cost <= 0.50
    # The worst case of the answers alone; each reasoning model's budget comes on top.
    no_reasoning = options.model_copy(update={"reasoning": ReasoningSetting.parse("off")})
    answers_only = estimate_batch(
        models, list(range(8)), 1, tier="tier1", options=no_reasoning, catalog=catalog
    )
    assert answers_only.worst_case_cost <= 0.50 < estimate.worst_case_cost
