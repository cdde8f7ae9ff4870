"""Catalog: real OpenRouter tiers within their price bands, the demo tier, refresh parsing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mapelite.catalog.models import (
    SHIPPED_CATALOG,
    catalog_from_bytes,
    load_catalog,
    load_file_catalog,
    write_catalog,
)
from mapelite.catalog.refresh import parse_openrouter, refresh_catalog
from mapelite.errors import ConfigError, InvalidInputError

SAMPLE = Path(__file__).parent / "data" / "openrouter_models_sample.json"

PRICE_BANDS = {"tier1": (0.0, 0.05), "tier2": (0.06, 0.15), "tier3": (0.20, 0.50)}
MIN_SIZES = {"tier1": 8, "tier2": 6, "tier3": 4}


@pytest.mark.parametrize("tier", sorted(PRICE_BANDS))
def test_real_tiers_hold_enough_models_priced_within_their_band(tier):
    catalog = load_catalog()
    low, high = PRICE_BANDS[tier]
    models = catalog.tier(tier)
    assert len(models) >= MIN_SIZES[tier]
    assert len(set(models)) == len(models)
    for model_id in models:
        entry = catalog.get(model_id)
        assert entry.provider == "openrouter" and not entry.simulated
        assert low <= entry.input_price_per_m <= high, model_id
        assert entry.output_price_per_m > 0 and entry.context_length


def test_best8_is_exactly_eight_priced_openrouter_models():
    catalog = load_catalog()
    best8 = catalog.tier("best8")
    assert len(set(best8)) == 8
    assert all(catalog.get(m).provider == "openrouter" for m in best8)


def test_demo_tier_is_eight_simulated_mockllm_models_with_distinct_skills():
    catalog = load_catalog()
    demo = [catalog.get(m) for m in catalog.tier("demo")]
    assert len(demo) == 8
    assert all(e.provider == "mockllm" and e.simulated for e in demo)
    skills = [e.skill for e in demo]
    assert all(s is not None and 0 < s < 1 for s in skills)
    assert len(set(skills)) == 8
    assert catalog.is_simulated_tier("demo") and not catalog.is_simulated_tier("tier1")


def test_shipped_catalog_records_its_snapshot_date_and_refresh_note():
    data = json.loads(SHIPPED_CATALOG.read_text())
    assert data["snapshot_date"]
    assert "models refresh" in data["note"]


def test_catalog_hash_is_sha256_of_the_file_bytes():
    assert load_catalog().hash == hashlib.sha256(SHIPPED_CATALOG.read_bytes()).hexdigest()


def test_unknown_tier_lists_the_valid_tiers():
    with pytest.raises(InvalidInputError, match=r"unknown tier 'nope'.*tier1.*demo"):
        load_catalog().tier("nope")


def test_local_models_outside_the_catalog_cost_nothing():
    catalog = load_catalog()
    for model_id in ("ollama/llama3.2:1b", "openai/local-model"):
        entry = catalog.get(model_id)
        assert (entry.input_price_per_m, entry.output_price_per_m) == (0.0, 0.0)
        assert not entry.simulated


def test_unknown_simulated_model_is_an_input_error_listing_the_demo_models():
    with pytest.raises(InvalidInputError, match=r"'mockllm/unlisted'.*mockllm/atlas.*harbor"):
        load_catalog().get("mockllm/unlisted")


def test_unknown_openrouter_model_and_bad_ids_are_input_errors():
    catalog = load_catalog()
    with pytest.raises(InvalidInputError, match="models refresh"):
        catalog.get("openrouter/nobody/nothing")
    with pytest.raises(InvalidInputError, match="provider prefix"):
        catalog.get("gpt-5-nano")
    with pytest.raises(InvalidInputError, match="unknown provider"):
        catalog.get("acme/model")


def test_parse_openrouter_models_converts_per_token_strings_to_per_million():
    entries = {e.id: e for e in _chat_models(json.loads(SAMPLE.read_text()))}
    nano = entries["openrouter/openai/gpt-5-nano"]
    assert nano.input_price_per_m == pytest.approx(0.05)
    assert nano.output_price_per_m == pytest.approx(0.40)
    assert nano.context_length == 400000
    assert nano.name == "openai/gpt-5-nano" and nano.provider == "openrouter"
    free = entries["openrouter/meta-llama/llama-3.3-8b-instruct:free"]
    assert (free.input_price_per_m, free.output_price_per_m) == (0.0, 0.0)
    assert free.free and free.rate_limit and "20 requests/min" in free.rate_limit
    assert entries["openrouter/google/gemini-2.5-flash-lite"].context_length is None
    # the variable-priced router is kept and marked; a model without a completion price is not
    assert entries["openrouter/openrouter/auto"].variable_price
    assert "openrouter/example/no-completion-price" not in entries
    assert len(entries) == 5


def test_parse_openrouter_models_tolerates_an_empty_or_odd_payload():
    assert _chat_models({}) == []
    assert _chat_models({"data": [None, {"pricing": {}}, {"id": ""}]}) == []


def test_refreshed_catalog_in_home_is_preferred_and_keeps_tiers(mapelite_home: Path):
    fresh = parse_openrouter(json.loads(SAMPLE.read_text()))
    data, summary = refresh_catalog(fresh, load_file_catalog())
    assert "openrouter/meta-llama/llama-3.2-1b-instruct" in summary.dropped_from_tiers
    write_catalog(data, mapelite_home / "catalog.json")
    catalog = load_catalog()
    assert catalog.source == str(mapelite_home / "catalog.json")
    assert catalog.hash == hashlib.sha256((mapelite_home / "catalog.json").read_bytes()).hexdigest()
    assert catalog.tier("tier1") == [
        "openrouter/meta-llama/llama-3.1-8b-instruct",
        "openrouter/openai/gpt-5-nano",
    ]
    assert len(catalog.tier("demo")) == 8  # simulated models survive a refresh
    assert catalog.get("mockllm/atlas").skill == 0.92


def test_a_corrupt_catalog_file_is_a_config_error():
    with pytest.raises(ConfigError, match="not valid"):
        catalog_from_bytes(b"{not json", "broken.json")


def _chat_models(payload):
    return parse_openrouter(payload).models
