"""The run options are declared once (`RunOptions`): the commands' options, the flows' parameter
and the deployments' ``options:`` all come from that one model."""

from __future__ import annotations

import inspect

import pytest
import typer
from typer.testing import CliRunner

from cli.options import RUN_OPTIONS, run_option_fields, takes_run_options
from mapelite.config.file import RunDefaults
from mapelite.config.run_options import REAL_DEFAULT_ITEMS, Flag, RunOptions


def test_a_command_gets_one_option_per_field_with_the_models_flags_help_and_bounds():
    seen: list[RunOptions] = []

    @takes_run_options(only=("runs", "timeout_s", "bank"))
    def probe(name: str = typer.Argument(...), options: RunOptions = RUN_OPTIONS) -> None:
        seen.append(options)

    app = typer.Typer()
    app.command()(probe)
    runner = CliRunner()
    done = runner.invoke(app, ["x", "-n", "3", "--timeout", "9", "--bank", "gen"])
    assert done.exit_code == 0, done.output
    assert seen == [RunOptions(runs=3, timeout_s=9.0, bank="gen")]

    refused = runner.invoke(app, ["x", "--runs", "0"])  # the model's ge=1, enforced by Click
    assert refused.exit_code == 2 and seen == [RunOptions(runs=3, timeout_s=9.0, bank="gen")]
    help_text = " ".join(runner.invoke(app, ["--help"], env={"COLUMNS": "300"}).output.split())
    for name in ("runs", "timeout_s", "bank"):
        field = RunOptions.model_fields[name]
        flag = next(m for m in field.metadata if isinstance(m, Flag))
        assert flag.names[0] in help_text and str(field.description)[:40] in help_text
    assert "--retries" not in help_text  # not chosen


def test_every_run_command_offers_every_shared_run_option():
    from cli.main import build_app

    commands = {c.name: c.callback for c in build_app().registered_commands}
    shared = set(run_option_fields())
    for name in ("swarm", "batch", "eval"):
        assert shared <= set(inspect.signature(commands[name]).parameters), name


def test_real_models_default_to_enough_generated_items_and_simulated_ones_to_core():
    real = RunOptions().resolved(RunDefaults(), simulated=False)
    assert (real.bank, real.items, real.runs, real.seed, real.cache) == (
        "gen",
        REAL_DEFAULT_ITEMS,
        1,
        0,
        False,
    )
    simulated = RunOptions().resolved(RunDefaults(), simulated=True)
    assert (simulated.bank, simulated.items) == ("core", None)


def test_the_config_defaults_apply_before_the_built_in_ones_and_given_options_before_both():
    defaults = RunDefaults(runs=2, seed=5, bank="core", items=4, item_seed=9, cache=True)
    filled = RunOptions().resolved(defaults, simulated=False)
    assert (filled.runs, filled.seed, filled.bank, filled.items, filled.item_seed) == (
        2,
        5,
        "core",
        4,
        9,
    )
    given = RunOptions(runs=1, bank="gen", items=7, cache=False).resolved(defaults, simulated=True)
    assert (given.runs, given.bank, given.items, given.cache) == (1, "gen", 7, False)


def test_a_repeat_gets_its_own_run_id_and_seed_and_the_runner_options_carry_every_limit():
    options = RunOptions(
        seed=10, runs=3, retries=0, call_timeout_s=5, temperature=0.5, bank="gen", items=2
    )
    repeat = options.for_repeat("base.2", 1)
    assert (repeat.run_id, repeat.seed, repeat.runs) == ("base.2", 11, 1)
    harness = repeat.runner_options()
    assert (harness.seed, harness.retries, harness.call_timeout_s) == (11, 0, 5)
    assert harness.temperature == 0.5
    assert (harness.bank, harness.items) == ("gen", 2)


def test_an_unknown_or_out_of_range_option_is_refused_by_the_model():
    with pytest.raises(ValueError, match="runz"):
        RunOptions.model_validate({"runz": 2})
    with pytest.raises(ValueError, match="greater than 0"):
        RunOptions(timeout_s=0)
