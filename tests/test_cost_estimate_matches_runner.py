"""`map-elite cost-estimate` counts what a swarm really sends: the calls and the upstream answers
carried in the prompts, counted at the model server while the same swarm runs."""

from __future__ import annotations

import re
import subprocess
import threading

import pytest

from mapelite.config.settings import get_settings
from mapelite.ledger.chain import Ledger
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import AnswerRequest, ModelScript
from tests.flow_helpers import PYTHON, subprocess_env
from tests.support.model_server_fixtures import TEST_KEY

AGGREGATED_ANSWER = re.compile(r"^--- answer \d+ \(\d+ votes?\) ---$", re.MULTILINE)
IMPROVED_ANSWER = "--- previous answer ---"


class PromptCounter:
    """Answers every call with a text of its own (so an aggregator sees as many distinct
    answers as it has upstream agents) and counts the upstream answers each prompt carries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.upstream_answers = 0

    def __call__(self, request: AnswerRequest) -> str:
        text = request.user_text
        carried = len(AGGREGATED_ANSWER.findall(text)) + text.count(IMPROVED_ANSWER)
        with self._lock:
            self.calls += 1
            self.upstream_answers += carried
            return f"answer number {self.calls} from {request.model}"


def map_elite(server: ModelServer, api_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "cli", *args],
        env=subprocess_env(
            PREFECT_API_URL=api_url,
            MAPELITE_PREFECT_GLOBAL_LIMITS="false",
            MAPELITE_OPENROUTER_BASE_URL=server.base_url,
            MAPELITE_OPENROUTER_API_KEY=TEST_KEY,
            MAPELITE_WARN_USD="1000",
            COLUMNS="200",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.prefect
@pytest.mark.parametrize("pattern", [":11", ":1010"])
def test_the_estimate_counts_the_calls_and_upstream_answers_the_runner_sends(
    model_server: ModelServer, prefect_api: str, pattern: str
) -> None:
    selection = ("--tier", "tier1", "--harness", "0", "--bank", "core")
    estimated = map_elite(model_server, prefect_api, "cost-estimate", pattern, *selection)
    assert estimated.returncode == 0, estimated.stderr
    found = re.search(r"calls (\d+)  upstream answers (\d+)", estimated.stdout)
    assert found is not None, estimated.stdout
    estimated_calls, estimated_answers = int(found.group(1)), int(found.group(2))

    counter = PromptCounter()
    model_server.script("*", ModelScript(answer=counter))
    ran = map_elite(model_server, prefect_api, "swarm", pattern, *selection, "--yes")
    assert ran.returncode == 0, ran.stdout + ran.stderr

    assert counter.calls == model_server.total_stats().requests  # no retries muddle the count
    assert (counter.calls, counter.upstream_answers) == (estimated_calls, estimated_answers)
    assert estimated_answers > 0
    entries = list(Ledger(get_settings().ledger).read())
    assert len(entries) == sum((int(d) and 8 ** int(d)) or 1 for d in pattern[1:])
