"""The pre-run check: the ledger first (verifies, appendable), then every endpoint; nothing is
called or written when it fails (real file system, model server counts)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mapelite.errors import LedgerCorruptError, LedgerError
from mapelite.ledger.chain import Ledger
from mapelite.prerun import pre_run_check
from mapelite.providers.preflight import PreflightError
from mapelite.schemas import HarnessResult, ResultMetadata, Scores
from mapelite.testing.model_server import ModelServer
from tests.support.model_server_fixtures import server_settings

MODELS = ["openrouter/openai/gpt-5-nano", "ollama/llama3.2:1b"]


def entry(n: int) -> HarnessResult:
    return HarnessResult(
        harness_id=0,
        harness_name="SENSE",
        model="openai/m",
        scores=Scores(raw=1, normalized=1),
        metadata=ResultMetadata(run_id="r", unit_key=f"k{n}"),
    )


async def test_a_ledger_path_that_is_a_directory_stops_before_any_request(
    model_server: ModelServer, tmp_path: Path
):
    settings = server_settings(model_server, ledger_path=tmp_path)
    with pytest.raises(LedgerError, match="not a regular file"):
        await pre_run_check(MODELS, settings)
    assert model_server.check_requests() == 0 and model_server.total_stats().requests == 0


async def test_a_corrupt_ledger_stops_before_any_request_and_is_left_as_it_was(
    model_server: ModelServer, tmp_path: Path
):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append_many([entry(n) for n in range(20)])
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    lines[7] = lines[7].replace(b'"openai/m"', b'"openai/x"')
    ledger.path.write_bytes(b"".join(lines))
    before = hashlib.sha256(ledger.path.read_bytes()).hexdigest()
    settings = server_settings(model_server, ledger_path=ledger.path)
    with pytest.raises(LedgerCorruptError) as caught:
        await pre_run_check(MODELS, settings)
    assert caught.value.index == 7
    assert hashlib.sha256(ledger.path.read_bytes()).hexdigest() == before
    assert model_server.check_requests() == 0


async def test_a_sound_ledger_then_an_unreachable_endpoint_is_a_preflight_error(
    model_server: ModelServer, tmp_path: Path
):
    settings = server_settings(
        model_server, ledger_path=tmp_path / "ledger.jsonl", ollama_base_url="http://127.0.0.1:9"
    )
    with pytest.raises(PreflightError, match="MAPELITE_OLLAMA_BASE_URL"):
        await pre_run_check(MODELS, settings)
    assert not (tmp_path / "ledger.jsonl").exists(), "the check creates nothing"
    assert model_server.check_requests("/v1/key") == 1
    assert model_server.total_stats().requests == 0
