"""The simulator worth searching (SIMULATED): its draws, its truth, and the setups around it."""

from __future__ import annotations

import numpy as np
import pytest

from mapelite.errors import InvalidInputError
from mapelite.providers.base import SimulationHint
from mapelite.providers.mockllm import MockLLMAPI, majority
from mapelite.schemas import ReasoningSetting
from mapelite.search.archive import cell_of, cost_bin
from mapelite.search.racing import GenerationPlan, Race, RaceConfig
from mapelite.search.setups import Setup, SetupSpace, parse_name
from mapelite.search.simulated import VectorSimulator, cost_function
from mapelite.search.truth import simulator_truth

API = MockLLMAPI()
TRUTH = simulator_truth(draws=6000)
SETUPS = [
    "mockllm/cedar",
    "mockllm/cedar@high",
    "vote5(mockllm/ember)",
    "moa3(mockllm/fjord>mockllm/delta)",
    ":10(mockllm/atlas+mockllm/gale+mockllm/harbor>mockllm/birch)",
    ":01(mockllm/birch+mockllm/ember>mockllm/cedar)",
]


def play(setup: Setup, harness_id: int, item_id: str, seed: int) -> float:
    """One setup on one item, call by call, as the flow's units make the calls."""
    previous: list[str] = []
    for s, stage in enumerate(setup.stages()):
        previous = [
            API.answer(
                member.agent.model.split("/", 1)[1],
                SimulationHint(
                    harness_id=harness_id,
                    item_id=item_id,
                    role=member.role,
                    upstream_answers=tuple(previous[i] for i in member.reads),
                    seed=seed * 1000 + s * 64 + a,
                    reference="R",
                    near_miss="W",
                ),
                member.agent.setting,
            )
            for a, member in enumerate(stage)
        ]
    if setup.structure == "vote":
        previous = [majority(previous, tie_key=f"{item_id}|{seed}")]
    return sum(a == "R" for a in previous) / len(previous)


@pytest.mark.parametrize("name", SETUPS)
def test_call_by_call_answers_average_to_the_true_expected_score(name: str) -> None:
    setup = parse_name(name)
    scores = [play(setup, 7, f"item-{i}", 0) for i in range(1500)]
    assert np.mean(scores) == pytest.approx(TRUTH.score(setup, 7), abs=0.045)


def test_the_in_process_race_simulator_averages_to_the_true_expected_score() -> None:
    config = RaceConfig(round_items=3000)
    simulator = VectorSimulator(config, API)
    gate = Race(SetupSpace(()), config, cost_function(config)).gate(GenerationPlan(0, ()))
    setups = tuple(parse_name(n) for n in SETUPS)
    results = simulator.run(GenerationPlan(0, setups), gate, lambda s: 0.0)
    for setup in setups:
        mean = np.mean([r.score for r in results[setup.name]])
        assert mean == pytest.approx(TRUTH.score(setup, 7), abs=0.035), setup.name


def test_the_same_model_setting_item_and_seed_always_answer_the_same() -> None:
    high = ReasoningSetting.parse("high")
    hints = [
        SimulationHint(harness_id=1, item_id=f"i{i}", reference="R", near_miss="W")
        for i in range(50)
    ]
    first = [API.answer("ember", h, high) for h in hints]
    assert first == [MockLLMAPI().answer("ember", h, high) for h in hints]
    assert first != [API.answer("ember", h) for h in hints]  # the setting is its own draw


def test_a_reasoning_setting_raises_skill_and_thinking_tokens() -> None:
    plain, high = parse_name("mockllm/fjord"), parse_name("mockllm/fjord@high")
    assert TRUTH.score(high, 0) > TRUTH.score(plain, 0) + 0.05
    hint = SimulationHint(harness_id=0, item_id="x", reference="R", near_miss="W")
    assert API.output_tokens("fjord", hint, ReasoningSetting.parse("high"))[1] > 0
    assert API.output_tokens("fjord", hint, None)[1] == 0


def test_models_of_one_family_share_more_mistakes_than_models_of_two() -> None:
    def wrong(name: str) -> np.ndarray:
        return np.array(
            [play(parse_name(f"mockllm/{name}"), 6, f"f{i}", 1) == 0 for i in range(2000)]
        )

    same = np.corrcoef(wrong("birch"), wrong("ember"))[0, 1]  # both "south"
    other = np.corrcoef(wrong("birch"), wrong("delta"))[0, 1]
    assert same > other + 0.1


def test_aggregation_skill_is_apart_from_answering_skill() -> None:
    # harbor answers worse than ember but aggregates better (DEMO_TRAITS).
    assert TRUTH.score(parse_name("mockllm/harbor"), 7) < TRUTH.score(
        parse_name("mockllm/ember"), 7
    )
    workers = "mockllm/ember+mockllm/fjord+mockllm/gale"
    by_harbor = TRUTH.score(parse_name(f":10({workers}>mockllm/harbor)"), 7)
    by_ember = TRUTH.score(parse_name(f":10({workers}>mockllm/ember)"), 7)
    assert by_harbor > by_ember


@pytest.mark.parametrize(
    "name", [*SETUPS, "vote3(mockllm/atlas@2048)", ":1010(mockllm/a@low+mockllm/b>mockllm/c)"]
)
def test_a_setup_name_parses_back_to_itself(name: str) -> None:
    assert parse_name(name).name == name
    assert parse_name(parse_name(name).name) == parse_name(name)


@pytest.mark.parametrize(
    "bad", ["", "vote1(mockllm/a)", ":11(mockllm/a>mockllm/b)", "moa3(mockllm/a)", "atlas"]
)
def test_a_bad_setup_name_is_one_clear_error(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="setup"):
        parse_name(bad)


def test_mutations_swap_a_position_change_a_setting_widen_deepen_and_change_the_aggregator() -> (
    None
):
    space = SetupSpace(("mockllm/atlas", "mockllm/birch"))
    swarm = parse_name(":10(mockllm/atlas+mockllm/birch>mockllm/atlas)")
    names = {m.name for m in space.mutations(swarm)}
    assert ":20(mockllm/atlas+mockllm/birch>mockllm/atlas)" in names  # widen
    assert ":1010(mockllm/atlas+mockllm/birch>mockllm/atlas)" in names  # deepen
    assert ":10(mockllm/atlas+mockllm/birch>mockllm/birch@low)" in names  # aggregator
    assert ":10(mockllm/birch+mockllm/birch>mockllm/atlas)" in names  # swap one position
    assert ":10(mockllm/atlas@high+mockllm/birch>mockllm/atlas)" in names  # a setting
    assert swarm.name not in names


def test_cells_are_log_cost_bins_by_structure_or_latency() -> None:
    assert cost_bin(1e-4) == cost_bin(2e-4) != cost_bin(4e-4)
    assert cell_of("vote", 1e-4, 1.5, "structure").second == "vote"
    assert cell_of("vote", 1e-4, 1.5, "latency").second == "1-2s"
