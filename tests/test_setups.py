"""Setups (``model@setting``) above the runner: the config file's reasoning setting for any model,
OpenRouter's included; price overrides of catalog models; tiers and ``--models`` of setups; a
run id's units told apart by setup."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapelite.catalog.models import load_catalog
from mapelite.catalog.setups import resolve_setup, select_models
from mapelite.config.settings import Settings, use_config_file
from mapelite.errors import ConfigError, InvalidInputError
from mapelite.schemas import HarnessResult, ResultMetadata, Scores
from mapelite.swarm.plan import RunPlan, check_run_id_reuse, reusable

NANO = "openrouter/openai/gpt-5-nano"
MINI = "openrouter/openai/gpt-5-mini"

OPENROUTER_SETTINGS = f"""
[models."{NANO}"]
reasoning = "low"
output_price_per_m = 0.5
[models."{MINI}"]
provider = {{ order = ["OpenAI"], allow_fallbacks = false }}
[models."ollama/qwen3:0.6b"]
reasons = true
[tiers]
mine = ["{NANO}@high", "{NANO}@minimal", "ollama/qwen3:0.6b@2k"]
"""


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapelite.toml"
    path.write_text(text)
    return path


def test_an_openrouter_model_table_is_accepted_and_its_prices_override_the_catalog(
    tmp_path: Path,
) -> None:
    shipped, shipped_mini = load_catalog().get(NANO), load_catalog().get(MINI)
    use_config_file(_config(tmp_path, OPENROUTER_SETTINGS))
    catalog = load_catalog()
    nano = catalog.get(NANO)
    assert nano.output_price_per_m == 0.5  # the file's price
    assert nano.input_price_per_m == shipped.input_price_per_m  # the rest kept from the catalog
    assert nano.context_length == shipped.context_length
    assert nano.reasoning == "low" and nano.configured
    # Only routing set: the catalog's prices stay.
    assert catalog.get(MINI).output_price_per_m == shipped_mini.output_price_per_m > 0
    assert catalog.get(f"{NANO}@high") == nano  # a setup is priced as its model


def test_the_config_files_reasoning_setting_makes_the_setup_a_plain_id_runs(
    tmp_path: Path,
) -> None:
    use_config_file(_config(tmp_path, OPENROUTER_SETTINGS))
    catalog = load_catalog()
    assert resolve_setup(catalog, NANO) == f"{NANO}@low"
    assert resolve_setup(catalog, f"{NANO}@high") == f"{NANO}@high"  # its own setting first
    assert resolve_setup(catalog, NANO, "medium") == f"{NANO}@medium"  # --reasoning next
    assert resolve_setup(catalog, MINI) == f"{MINI}@low"  # it reasons: the default for it
    plain = "openrouter/openai/gpt-4o-mini"
    assert resolve_setup(catalog, plain) == plain  # no setting, does not reason: a plain id
    assert resolve_setup(catalog, plain, "high") == plain  # --reasoning: only models that reason
    assert resolve_setup(catalog, "ollama/qwen3:0.6b@2k") == "ollama/qwen3:0.6b@2000"
    # A model that reasons runs at the default for evaluation: its setup says which.
    assert resolve_setup(catalog, "ollama/qwen3:0.6b") == "ollama/qwen3:0.6b@low"


def test_a_tier_of_setups_runs_each_setup_and_reasoning_fills_only_models_without_one(
    tmp_path: Path,
) -> None:
    use_config_file(_config(tmp_path, OPENROUTER_SETTINGS))
    catalog = load_catalog()
    assert select_models(catalog, tier="mine", reasoning="off")[1] == [
        f"{NANO}@high",
        f"{NANO}@minimal",
        "ollama/qwen3:0.6b@2000",
    ]
    label, setups = select_models(catalog, models=f"{MINI}@low,{MINI}@high,{MINI}", reasoning="off")
    assert (label, setups) == ("models", [f"{MINI}@low", f"{MINI}@high", f"{MINI}@off"])


def test_two_ids_naming_one_setup_are_refused(tmp_path: Path) -> None:
    use_config_file(_config(tmp_path, OPENROUTER_SETTINGS))
    with pytest.raises(InvalidInputError, match=f"lists {NANO}@low more than once"):
        select_models(load_catalog(), models=[NANO, f"{NANO}@low"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'[models."{NANO}"]\nreasoning = "lots"\n', "reasoning: reasoning setting 'lots'"),
        (f'[models."{NANO}@low"]\ninput_price_per_m = 1.0\n', "names a model, not a setup"),
        ('[tiers]\nmine = ["ollama/x@loud"]\n', "tiers.mine: 'ollama/x@loud': reasoning setting"),
        ('[models."nowhere/x"]\ninput_price_per_m = 1.0\n', "endpoint 'nowhere' is not config"),
    ],
)
def test_a_bad_setting_in_the_config_file_is_one_line(
    text: str, expected: str, tmp_path: Path
) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        Settings(config_file=path)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_a_bad_reasoning_option_is_one_line() -> None:
    with pytest.raises(InvalidInputError, match="reasoning setting 'loud' is not one of"):
        select_models(load_catalog(), models=NANO, reasoning="loud")


def _unit(setting: str | None) -> HarnessResult:
    return HarnessResult(
        harness_id=0,
        harness_name="SENSE",
        model=NANO,
        scores=Scores(raw=1, normalized=1),
        metadata=ResultMetadata(run_id="r-1", unit_key="r-1/s0/a0/h0", reasoning=setting),
    )


def test_a_unit_recorded_at_one_setting_is_not_reused_for_another() -> None:
    low = _unit("low")
    assert reusable(low, f"{NANO}@low") is low
    assert reusable(low, f"{NANO}@high") is None
    assert reusable(low, NANO) is None
    plan = RunPlan(
        run_id="r-1", kind="batch", pattern=None, models={"r-1/s0/a0/h0": f"{NANO}@high"}
    )
    with pytest.raises(InvalidInputError, match=f"ran {NANO}@low, this run plans {NANO}@high"):
        check_run_id_reuse(plan, {"r-1/s0/a0/h0": low})


def test_reasoning_option_sets_the_setting_of_the_tiers_models_that_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from cli.app import run_app
    from cli.main import build_app

    argv = ["cost-estimate", ":1", "--tier", "best8", "--reasoning", "high", "--json"]
    assert run_app(build_app(), argv) == 0
    setups = list(json.loads(capsys.readouterr().out)["per_model_cost"])
    catalog = load_catalog()
    for setup in setups:
        model = setup.rpartition("@")[0] or setup
        assert setup == (f"{model}@high" if catalog.get(model).reasons else model)
    assert f"{NANO}@high" in setups and "openrouter/openai/gpt-4o-mini" in setups
    assert run_app(build_app(), [*argv[:-1], "--reasoning", "lots"]) == 2
    assert "reasoning setting 'lots' is not one of" in capsys.readouterr().err
