"""`models refresh` against a saved OpenRouter /models response served by the model server:
price tiers recomputed from the bands, non-chat models left out, free and variable-price models
marked and kept out of tiers, a summary of what changed, config tiers untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapelite.catalog.models import load_catalog, load_file_catalog
from mapelite.catalog.refresh import (
    FREE_RATE_LIMIT,
    PRICE_BANDS,
    RefreshSummary,
    refresh_catalog,
    refresh_from_openrouter,
)
from mapelite.config.settings import get_settings
from mapelite.errors import InvalidInputError
from mapelite.testing.model_server import ModelServer

SAVED = Path(__file__).parent / "data" / "openrouter_models_refresh.json"
CONFIG = """\
[endpoints.lab]
base_url = "http://127.0.0.1:9/v1"
[tiers]
mine = ["lab/qwen", "openrouter/openai/gpt-5-nano", "openrouter/mistralai/mistral-7b-instruct"]
"""


@pytest.fixture
def refreshed(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> RefreshSummary:
    model_server.models_payload = json.loads(SAVED.read_text())
    config = tmp_path / "mapelite.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("MAPELITE_CONFIG", str(config))
    monkeypatch.setenv("MAPELITE_OPENROUTER_BASE_URL", model_server.base_url)
    get_settings.cache_clear()
    _, summary = refresh_from_openrouter(get_settings())
    return summary


def tier_of(model_id: str) -> str | None:
    tiers = load_catalog().tiers
    return next((name for name in PRICE_BANDS if model_id in tiers[name]), None)


def test_every_price_tier_holds_exactly_the_fixed_price_chat_models_of_its_band(refreshed):
    catalog = load_catalog()
    for name, (low, high) in PRICE_BANDS.items():
        expected = {
            m.id
            for m in catalog.models.values()
            if m.provider == "openrouter"
            and not (m.free or m.variable_price)
            and m.input_price_per_m > 0
            and low <= m.input_price_per_m <= high
        }
        assert set(catalog.tier(name)) == expected, name


def test_a_model_whose_price_moved_into_tier2s_band_moves_to_tier2(refreshed):
    assert tier_of("openrouter/amazon/nova-micro-v1") == "tier2"
    move = next(m for m in refreshed.moved if m.model == "openrouter/amazon/nova-micro-v1")
    assert (move.before, move.after) == ("tier1", "tier2")
    repriced = {r.model: r for r in refreshed.repriced}
    assert repriced["openrouter/amazon/nova-micro-v1"].input_after == pytest.approx(0.08)
    # repriced within its band: repriced, not moved
    assert "openrouter/openai/gpt-4.1-mini" in repriced
    assert tier_of("openrouter/openai/gpt-4.1-mini") == "tier3"
    assert all(m.model != "openrouter/openai/gpt-4.1-mini" for m in refreshed.moved)


def test_non_chat_models_are_left_out_of_the_catalog(refreshed):
    catalog = load_catalog()
    for model_id in (
        "openrouter/openai/text-embedding-3-small",
        "openrouter/black-forest-labs/flux-schnell",
        "openrouter/openai/whisper-1",
    ):
        assert model_id in refreshed.non_chat
        assert model_id not in catalog.models
    with pytest.raises(InvalidInputError):
        catalog.get("openrouter/openai/text-embedding-3-small")


def test_a_free_variant_is_marked_free_with_its_rate_limit_and_in_no_tier(refreshed):
    entry = load_catalog().get("openrouter/meta-llama/llama-3.2-3b-instruct:free")
    assert entry.free and entry.rate_limit == FREE_RATE_LIMIT
    assert entry.id in refreshed.free
    assert not any(entry.id in ids for ids in load_catalog().tiers.values())


def test_a_variable_price_model_is_kept_marked_and_usable_without_a_refresh_hint(refreshed):
    catalog = load_catalog()
    entry = catalog.get("openrouter/openrouter/auto")  # no "run models refresh" error
    assert entry.variable_price
    assert refreshed.variable_price == ["openrouter/openrouter/auto"]
    assert not any(entry.id in ids for ids in catalog.tiers.values())


def test_the_summary_names_added_removed_and_the_lines_say_so(refreshed):
    assert "openrouter/mistralai/mistral-7b-instruct" in refreshed.removed
    assert "openrouter/qwen/qwen3-8b" in refreshed.added
    assert tier_of("openrouter/qwen/qwen3-8b") == "tier1"
    text = "\n".join(refreshed.lines())
    assert (
        "1 removed" in text and "moved     openrouter/amazon/nova-micro-v1: tier1 -> tier2" in text
    )
    assert refreshed.emptied_tiers == [] and refreshed.warnings == []


def test_a_config_tier_survives_the_refresh_unchanged(refreshed, tmp_path: Path):
    assert load_catalog().tiers["mine"] == [
        "lab/qwen",
        "openrouter/openai/gpt-5-nano",
        "openrouter/mistralai/mistral-7b-instruct",
    ]
    assert (tmp_path / "mapelite.toml").read_text() == CONFIG
    assert "mine" not in load_file_catalog().tiers  # the catalog file never holds it


def test_a_tier_emptied_by_a_refresh_is_a_warning_and_running_it_an_error():
    base = load_file_catalog()
    cheap_only = json.loads(SAVED.read_text())
    cheap_only["data"] = [m for m in cheap_only["data"] if float(m["pricing"]["prompt"]) <= 5e-8]
    from mapelite.catalog.refresh import parse_openrouter

    data, summary = refresh_catalog(parse_openrouter(cheap_only), base)
    assert summary.emptied_tiers == ["tier2", "tier3"]
    assert "tier 'tier2' is empty" in summary.warnings[0]
    assert data["tiers"]["tier2"] == []
    from mapelite.catalog.models import catalog_from_bytes
    from mapelite.catalog.setups import select_models

    catalog = catalog_from_bytes(json.dumps(data).encode())
    with pytest.raises(InvalidInputError, match="tier 'tier2' has no models") as caught:
        select_models(catalog, tier="tier2")
    assert caught.value.exit_code == 2


def test_the_refresh_keeps_which_models_reason_and_their_reasoning_price(refreshed):
    catalog = load_file_catalog()
    nano = catalog.get("openrouter/openai/gpt-5-nano")
    flash = catalog.get("openrouter/google/gemini-2.5-flash")
    llama = catalog.get("openrouter/meta-llama/llama-3.1-8b-instruct")
    assert nano.reasons and nano.internal_reasoning_price_per_m is None
    assert flash.reasons and flash.internal_reasoning_price_per_m == pytest.approx(3.5)
    assert not llama.reasons
    # Written to the refreshed file, so the next load still knows.
    written = json.loads((get_settings().home / "catalog.json").read_text())
    flags = {m["id"]: m.get("reasons", False) for m in written["models"]}
    assert flags["openrouter/openai/gpt-5-nano"] and not flags["openrouter/mistralai/mistral-nemo"]
