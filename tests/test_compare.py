"""`mapelite.stats.compare.compare`: sides, pairing on shared items, Holm, the verdict's words."""

from __future__ import annotations

import pytest

from mapelite.errors import InvalidInputError
from mapelite.providers.mockllm import MockLLMAPI
from mapelite.schemas import HARNESS_NAMES, HarnessResult, ItemOutcome
from mapelite.stats.compare import compare, describe_difference, more_items_to_settle
from mapelite.stats.core import holm, paired_difference
from tests.test_stats_simulation import SkilledSimulator, simulated_entry


def entry(model: str, harness_id: int, scores: list[float], **meta: object) -> HarnessResult:
    items = [ItemOutcome(item_id=f"i{i}", score=s) for i, s in enumerate(scores)]
    return HarnessResult(
        harness_id=harness_id,
        harness_name=HARNESS_NAMES[harness_id],
        model=model,
        scores={"raw": sum(scores), "normalized": sum(scores) / len(scores)},
        metadata={"run_id": "r", "items": items, **meta},
    )


def test_pairs_only_shared_items_and_holm_corrects_across_harnesses() -> None:
    a = [entry("mockllm/a", 0, [1.0] * 30), entry("mockllm/a", 7, [1.0, 0.0] * 15)]
    b = [entry("mockllm/b", 0, [0.0] * 20), entry("mockllm/b", 7, [0.0, 1.0] * 15)]
    report = compare([*a, *b], "mockllm/a", "mockllm/b")
    sense, decide = report.harnesses
    assert (sense.n, decide.n) == (20, 30)  # SENSE: only b's 20 items are shared
    raw = [
        paired_difference([1.0] * 20, [0.0] * 20).p_value,
        paired_difference([1.0, 0.0] * 15, [0.0, 1.0] * 15).p_value,
    ]
    assert [sense.p_value, decide.p_value] == raw
    assert [sense.p_adjusted, decide.p_adjusted] == holm(raw)
    assert sense.significant and not decide.significant
    assert report.verdict.startswith(f"mockllm/a better on SENSE by {describe_difference(sense)}")
    assert "no detectable difference elsewhere" in report.verdict
    assert report.overall.n == 50


def test_verdict_says_how_many_more_shared_items_would_settle_an_undecided_harness() -> None:
    a = entry("mockllm/a", 1, [1.0] * 7 + [0.0] * 3)
    b = entry("mockllm/b", 1, [1.0] * 5 + [0.0] * 5)
    report = compare([a, b], "mockllm/a", "mockllm/b")
    fuse = report.harnesses[0]
    assert not fuse.significant and fuse.more_items_to_settle is not None
    assert fuse.more_items_to_settle == more_items_to_settle(paired_difference(
        [1.0] * 7 + [0.0] * 3, [1.0] * 5 + [0.0] * 5
    ))  # fmt: skip
    assert f"~{fuse.more_items_to_settle} more shared items would settle FUSE" in report.verdict


def test_a_swarm_run_compares_its_last_stage_on_its_items() -> None:
    simulator = MockLLMAPI()
    workers = [
        simulated_entry(simulator, "mockllm/harbor", 0, 1, run_id="sw", role="worker",
                        agent=agent, pattern=":10")
        for agent in range(3)
    ]  # fmt: skip
    aggregator = simulated_entry(
        SkilledSimulator({"atlas": 1.0}), "mockllm/atlas", 0, 1, run_id="sw", role="aggregator",
        stage=1, pattern=":10",
    )  # fmt: skip
    solo = simulated_entry(simulator, "mockllm/harbor", 0, 1, run_id="solo")
    report = compare([*workers, aggregator, solo], "sw", "mockllm/harbor")
    assert (report.a.kind, report.a.entries, report.b.kind) == ("swarm run", 1, "model")
    assert report.overall.a_mean == pytest.approx(1.0)  # the last stage only
    # harbor's solo run and its three worker runs answered the same items the same way.
    assert report.overall.b_mean == pytest.approx(solo.scores.normalized)


def test_unknown_sides_and_no_shared_items_are_said_in_one_line() -> None:
    a = entry("mockllm/a", 0, [1.0, 0.0])
    b = entry("mockllm/b", 7, [1.0, 0.0])
    with pytest.raises(InvalidInputError, match="neither a model") as caught:
        compare([a, b], "mockllm/a", "mockllm/nobody")
    assert "\n" not in str(caught.value)
    with pytest.raises(InvalidInputError, match="two different"):
        compare([a], "mockllm/a", "mockllm/a")
    report = compare([a, b], "mockllm/a", "mockllm/b")
    assert report.overall.n == 0 and "share no scored items" in report.verdict
    report = compare([a, b], "mockllm/a", "mockllm/b", harnesses=[0, 7])
    assert [h.n for h in report.harnesses] == [0, 0]


def test_errors_are_not_paired() -> None:
    a = entry("mockllm/a", 0, [1.0, 1.0, 1.0])
    b = entry("mockllm/b", 0, [0.0, 0.0, 0.0])
    b.metadata.items[0] = ItemOutcome(item_id="i0", score=0.0, error="timeout")
    report = compare([a, b], "mockllm/a", "mockllm/b")
    assert report.overall.n == 2


def test_entries_mentioning_reads_only_the_sides_from_a_ledger(tmp_path) -> None:
    from mapelite.errors import LedgerError
    from mapelite.ledger.chain import Ledger
    from mapelite.stats.compare import entries_mentioning

    ledger = Ledger(tmp_path / "ledger.jsonl")
    for model in ("mockllm/a", "mockllm/b", "mockllm/c"):
        ledger.append(entry(model, 0, [1.0, 0.0]))
    found = entries_mentioning(ledger.path, ["mockllm/a", "mockllm/c"])
    assert [e.model for e in found] == ["mockllm/a", "mockllm/c"]
    assert compare(found, "mockllm/a", "mockllm/c").overall.n == 2
    with pytest.raises(LedgerError, match="cannot read ledger"):
        entries_mentioning(tmp_path / "absent.jsonl", ["mockllm/a"])
