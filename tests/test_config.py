"""mapelite.toml: checked strictly with one-line errors naming file and key; the environment
overrides it; config show masks keys and names sources; config init writes a file that loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapelite.catalog.cost import format_usd, warning_text
from mapelite.catalog.models import load_catalog
from mapelite.catalog.setups import select_models
from mapelite.config.settings import Settings, get_settings, use_config_file
from mapelite.config.show import CONFIG_EXAMPLE, MASK, describe_settings, write_example
from mapelite.errors import ConfigError, InvalidInputError
from mapelite.providers import create_model_api
from mapelite.swarm.plan import left_out_note, models_left_out

GOOD = """
[endpoints.lab]
base_url = "http://127.0.0.1:9/v1"
api_key_env = "LAB_KEY"
limit = 2
[models."lab/x"]
input_price_per_m = 0.1
output_price_per_m = 0.3
[tiers]
mine = ["lab/x", "ollama/llama3.2:1b"]
[weights]
DECIDE = 3.0
[defaults]
warn_usd = 0.001
runs = 2
"""

BAD = {
    "unknown key": (
        "[endpoints.lab]\nbase_url = 'http://h/v1'\ncolour = 'red'\n",
        "unknown key endpoints.lab.colour; expected one of: base_url",
    ),
    "unknown table": ("[providers]\nx = 1\n", "unknown key providers"),
    "wrong type": (
        "[endpoints.lab]\nbase_url = 'http://h/v1'\nlimit = 'four'\n",
        "endpoints.lab.limit: expected a whole number",
    ),
    "wrong price type": (
        "[models.\"ollama/x\"]\ninput_price_per_m = 'cheap'\n",
        'models."ollama/x".input_price_per_m: expected USD per million',
    ),
    "endpoint without base_url": (
        "[endpoints.lab]\nlimit = 2\n",
        "endpoints.lab.base_url is missing; expected the server URL",
    ),
    "model on an unknown endpoint": (
        '[models."nowhere/x"]\ninput_price_per_m = 1.0\n',
        "endpoint 'nowhere' is not configured",
    ),
    "unknown reasoning setting": (
        '[models."openrouter/openai/gpt-5-nano"]\nreasoning = "lots"\n',
        "models.\"openrouter/openai/gpt-5-nano\"] reasoning: reasoning setting 'lots' is not",
    ),
    "tier on an unknown endpoint": (
        "[tiers]\nmine = ['nowhere/x']\n",
        "tiers.mine: 'nowhere/x' is on endpoint 'nowhere'",
    ),
    "duplicate of a built-in tier": (
        "[tiers]\ntier1 = ['ollama/x']\n",
        "tiers.tier1: duplicates the built-in tier",
    ),
    "tier defined twice": (
        "[tiers]\nmine = ['ollama/x']\nmine = ['ollama/y']\n",
        "a key or table defined twice",
    ),
    "model twice in a tier": (
        "[tiers]\nmine = ['ollama/x', 'ollama/x']\n",
        "tiers.mine lists 'ollama/x' twice",
    ),
    "endpoint named like a provider": (
        "[endpoints.openai]\nbase_url = 'http://h/v1'\n",
        "'openai' is a built-in provider",
    ),
    "unknown harness weight": ("[weights]\nSPEED = 2.0\n", "weights.SPEED: unknown harness"),
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapelite.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_config_file_is_one_line_naming_the_file_and_key(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, expected = BAD[case]
    path = write(tmp_path, text)
    monkeypatch.chdir(tmp_path)  # ./mapelite.toml is found without --config
    with pytest.raises(ConfigError) as caught:
        Settings()
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    assert expected in message
    assert caught.value.exit_code == 2


def test_a_named_config_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        use_config_file(tmp_path / "missing.toml")


def test_the_file_sets_endpoints_limits_tiers_weights_and_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_config_file(write(tmp_path, GOOD))
    settings = get_settings()
    assert settings.provider_limit("lab") == 2
    assert settings.warn_usd == 0.001 and settings.defaults.runs == 2
    assert settings.fitness_weights().weight(7) == 3.0
    assert settings.fitness_weights().weight(2) == 1.5  # default kept
    catalog = load_catalog()
    assert catalog.tier("mine") == ["lab/x", "ollama/llama3.2:1b"]
    assert catalog.get("lab/x").input_price_per_m == 0.1 and catalog.get("lab/x").configured
    assert catalog.get("lab/unpriced").input_price_per_m == 0.0  # an endpoint's own model


def test_the_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MAPELITE_WARN_USD", "0.7")
    monkeypatch.setenv("MAPELITE_DEFAULTS__RUNS", "5")
    monkeypatch.setenv("MAPELITE_ENDPOINTS__LAB__LIMIT", "4")
    settings = Settings(config_file=write(tmp_path, GOOD))
    assert settings.warn_usd == 0.7 and settings.defaults.runs == 5
    assert settings.provider_limit("lab") == 4
    assert settings.endpoints["lab"].base_url == "http://127.0.0.1:9/v1"  # the rest from the file


def test_an_endpoint_whose_key_variable_is_unset_is_a_config_error_naming_it(tmp_path: Path):
    settings = Settings(config_file=write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match=r"\$LAB_KEY, which is not set"):
        create_model_api("lab/x", settings)


def test_config_show_masks_keys_and_names_each_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, GOOD)
    monkeypatch.setenv("LAB_KEY", "lab-secret-value")
    monkeypatch.setenv("MAPELITE_BUDGET_USD", "3")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-secret-value")
    rows = {row.key: row for row in describe_settings(Settings(config_file=path))}
    assert (rows["warn_usd"].value, rows["warn_usd"].source) == (0.001, str(path))
    assert (rows["budget_usd"].value, rows["budget_usd"].source) == (3.0, "environment")
    assert rows["endpoints.lab.limit"].source == str(path)
    assert rows["endpoints.lab.protocol"].source == "default"
    assert rows["endpoints.lab.api_key"].value == MASK
    assert rows["openrouter_api_key"].value == MASK
    assert "secret-value" not in repr(list(rows.values()))


def test_config_init_writes_an_example_that_loads_and_never_overwrites(tmp_path: Path) -> None:
    path = write_example(tmp_path / "mapelite.toml")
    settings = Settings(config_file=path)
    assert settings.tiers["mine"] and settings.endpoints["vllm"].limit == 4
    assert path.read_text() == CONFIG_EXAMPLE
    with pytest.raises(ConfigError, match="already exists"):
        write_example(path)


def test_an_empty_model_list_or_tier_is_refused_before_anything_runs() -> None:
    catalog = load_catalog()
    with pytest.raises(InvalidInputError, match="lists no model"):
        select_models(catalog, models=" , ")
    with pytest.raises(InvalidInputError, match="either --tier or --models"):
        select_models(catalog, tier="demo", models="mockllm/atlas")
    assert select_models(catalog, models="mockllm/atlas,mockllm/birch") == (
        "models",
        ["mockllm/atlas", "mockllm/birch"],
    )
    with pytest.raises(InvalidInputError, match="unknown simulated model"):
        select_models(catalog, models="mockllm/nobody")


def test_a_swarm_over_a_tier_wider_than_its_widest_stage_names_the_models_left_out() -> None:
    tier = [f"mockllm/m{i}" for i in range(10)]
    assert models_left_out([8, 1], tier) == ["mockllm/m8", "mockllm/m9"]
    assert models_left_out([8, 1], tier, lead="mockllm/m9") == ["mockllm/m8"]
    assert models_left_out([8, 1, 8, 1], tier[:8]) == []
    note = left_out_note(":1010", [8, 1, 8, 1], tier, label="tier tier1")
    assert note is not None and "uses 8 of tier tier1's 10 models" in note
    assert note.endswith("left out: mockllm/m8, mockllm/m9")
    assert left_out_note(":10", [8, 1], ["mockllm/m0"]) is None  # Self-MoA: one model


@pytest.mark.parametrize(
    ("value", "printed"),
    [(0.001, "$0.001"), (0.5, "$0.50"), (0.0000421, "$0.0000421"), (12.3, "$12.30"), (0, "$0.00")],
)
def test_dollar_amounts_print_with_enough_digits_to_be_true(value: float, printed: str) -> None:
    assert format_usd(value) == printed


def test_the_cost_warning_shows_a_small_threshold_as_it_is() -> None:
    text = warning_text(0.0123, 0.001)
    assert text is not None and "MAPELITE_WARN_USD $0.001" in text and "$0.0123" in text


def test_a_variable_price_model_is_named_by_the_estimate_not_silently_priced() -> None:
    import json

    from mapelite.catalog.cost import estimate_batch
    from mapelite.catalog.models import catalog_from_bytes
    from mapelite.catalog.refresh import parse_openrouter, refresh_catalog

    saved = Path(__file__).parent / "data" / "openrouter_models_refresh.json"
    data, _ = refresh_catalog(parse_openrouter(json.loads(saved.read_text())), load_catalog())
    catalog = catalog_from_bytes(json.dumps(data).encode())
    models = ["openrouter/openrouter/auto", "openrouter/openai/gpt-5-nano"]
    estimate = estimate_batch(models, [0], 1, tier="models", catalog=catalog)
    assert estimate.variable_price_models == ["openrouter/openrouter/auto"]
    assert estimate.per_model_cost["openrouter/openai/gpt-5-nano"] > 0


def test_an_openrouter_model_takes_settings_and_a_price_override_keeping_its_catalog_entry(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mapelite.toml"
    path.write_text(
        '[models."openrouter/openai/gpt-5-nano"]\n'
        'reasoning = "minimal"\n'
        "output_price_per_m = 0.5\n"
        'provider = { order = ["OpenAI"], allow_fallbacks = false }\n'
        "rate_limit = { requests = 30, window_s = 60 }\n"
    )
    use_config_file(path)
    settings = get_settings()
    table = settings.model_settings("openrouter/openai/gpt-5-nano")
    assert table is not None and table.reasoning == "minimal"
    assert table.provider is not None
    assert table.provider.request_object() == {"order": ["OpenAI"], "allow_fallbacks": False}
    entry = load_catalog().get("openrouter/openai/gpt-5-nano")
    assert entry.output_price_per_m == 0.5, "the file's price wins"
    assert entry.input_price_per_m == 0.05 and entry.reasons, "the rest stays the catalog's"
