"""Thinking never reaches a scorer: on every harness, an answer behind a think block that weighs
another candidate scores exactly as the same answer without the block — end to end through a
batch against the model server (OpenAI protocol and Ollama's)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flows.batch import batch_flow
from mapelite.config.run_options import RunOptions
from mapelite.harnesses import HARNESSES
from mapelite.schemas import ItemOutcome
from mapelite.testing.answers import default_answer, wrong_candidate
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import AnswerRequest, ModelScript
from tests.flow_helpers import ledger_entries, use_model_server

pytestmark = pytest.mark.prefect


def _right(request: AnswerRequest) -> str:
    return default_answer(request.user_text)


def _wrong(request: AnswerRequest) -> str:
    return wrong_candidate(request.user_text) or "OK"


def _behind_block(inside: Callable[[AnswerRequest], str], after: Callable[[AnswerRequest], str]):
    def answer(request: AnswerRequest) -> str:
        return f"<think>\nFirst candidate:\n{inside(request)}\nChecking it.\n</think>\n\n" + after(
            request
        )

    return answer


SCRIPTS = {
    "right": ModelScript(answer=_right),
    "wrong": ModelScript(answer=_wrong),
    # The server's own thinking model: a wrong candidate in its <think> block, then the answer.
    "qwen3": ModelScript(thinks_in_content=True),
    "right-after-wrong": ModelScript(answer=_behind_block(_wrong, _right)),
    "wrong-after-right": ModelScript(answer=_behind_block(_right, _wrong)),
}
COMPARED = {
    "openai/qwen3": "openai/right",
    "ollama/qwen3": "openai/right",
    "openai/right-after-wrong": "openai/right",
    "ollama/right-after-wrong": "openai/right",
    "openai/wrong-after-right": "openai/wrong",
}


def _scores(model: str) -> dict[str, ItemOutcome]:
    return {i.item_id: i for e in ledger_entries() if e.model == model for i in e.metadata.items}


async def test_a_think_block_never_changes_a_score_on_any_harness(
    prefect_api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "mapelite.toml"
    # Thinking models reason: they get the default bounded setting, so every answer fits.
    config.write_text(
        '[models."openai/qwen3"]\nreasons = true\n[models."ollama/qwen3"]\nreasons = true\n'
    )
    monkeypatch.setenv("MAPELITE_CONFIG", str(config))
    with ModelServer() as server:
        for name, script in SCRIPTS.items():
            server.script(name, script)
        monkeypatch.setenv("MAPELITE_OLLAMA_BASE_URL", server.ollama_url)
        use_model_server(monkeypatch, server)
        models = sorted({*COMPARED, *COMPARED.values()})
        await batch_flow(
            models=models, harness="all", options=RunOptions(run_id="think-blocks", bank="core")
        )

    for thinking, plain in COMPARED.items():
        with_block, without = _scores(thinking), _scores(plain)
        assert len(with_block) == len(without) == 48
        for item_id, outcome in with_block.items():
            assert outcome.error is None and outcome.thinking, (thinking, item_id)
            assert "<think>" not in (outcome.answer or "")
            assert outcome.score == without[item_id].score, (thinking, item_id)
    assert {i.finish_reason for i in _scores("openai/qwen3").values()} == {"stop"}


def test_the_blocks_would_change_scores_if_a_scorer_read_them() -> None:
    """What the test above guards against: the block's text read as part of the answer (its
    tags dropped, as a reader that does not know them would see it)."""
    changed = 0
    for harness in HARNESSES.values():
        for item in harness.items:
            raw = f"First candidate:\n{item.near_miss}\n\n{item.reference}"
            changed += item.score(raw) != item.score(item.reference)
    assert changed >= 40  # of 48
