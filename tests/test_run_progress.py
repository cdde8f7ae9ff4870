"""Progress a user can follow: a live bar per stage on a terminal (rate, ETA, spend against the
estimate, errors), and off one a bounded number of plain lines whose spend moves as results
arrive."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

import pytest

from flows.progress import RunProgress, StageFacts
from tests.flow_helpers import PYTHON, subprocess_env

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def read_all(fd: int, timeout_s: float) -> str:
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    return ANSI.sub("", b"".join(chunks).decode("utf-8", errors="replace"))


@pytest.mark.prefect
def test_a_demo_swarm_in_a_terminal_shows_a_bar_per_stage_with_rate_and_eta(prefect_api) -> None:
    env = subprocess_env(
        TERM="xterm",
        COLUMNS="160",
        LINES="40",
        PREFECT_API_URL=prefect_api,
        MAPELITE_PREFECT_GLOBAL_LIMITS="false",
    )
    master, slave = pty.openpty()
    command = [PYTHON, "-m", "cli.main", "swarm", ":10", "--tier", "demo", "-H", "0,1", "--yes"]
    child = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    try:
        output = read_all(master, timeout_s=180)
    finally:
        os.close(master)
        child.wait(timeout=60)
    assert child.returncode == 0, output[-2000:]
    for stage in ("stage 1/2 worker x8", "stage 2/2 aggregator x1"):
        bar = [line for line in output.splitlines() if line.startswith(stage) and "━" in line]
        assert bar, f"no bar for {stage}:\n{output[-3000:]}"
        final = bar[-1]
        assert re.search(r"\b\d+/\d+\b", final), final
        assert re.search(r"\d+\.\d runs/s", final), final
        assert re.search(r"ETA \d+:\d\d", final), final
        assert re.search(r"\$\d+\.\d{4} of ~\$\d+\.\d{4}", final), "spend against the estimate"
        assert re.search(r"\d+ errors?", final), final


@pytest.mark.prefect
def test_off_a_terminal_a_512_unit_batch_prints_few_lines_and_its_spend_grows(prefect_api) -> None:
    interval_s = 1.0
    env = subprocess_env(
        PREFECT_API_URL=prefect_api,
        MAPELITE_PREFECT_GLOBAL_LIMITS="false",
        MAPELITE_PROGRESS_INTERVAL_S=str(interval_s),
        MAPELITE_MOCKLLM_LATENCY_S="0.02",  # long enough that the batch spans a few intervals
    )
    started = time.monotonic()
    done = subprocess.run(
        [PYTHON, "-m", "cli.main", "batch", "demo", "-H", "0", "--runs", "64", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("batch: ")]
    assert lines[-1].startswith("batch: 512/512 harness runs"), done.stdout[-2000:]
    # At most one line per interval while the stage runs, plus the one at its end.
    assert 2 <= len(lines) <= elapsed / interval_s + 1, lines
    spent = [float(re.search(r"spent \$(\d+\.\d+)", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert spent == sorted(spent) and spent[-1] > spent[0], spent
    done_counts = [int(re.search(r": (\d+)/512", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert done_counts == sorted(done_counts) and done_counts[0] < 512


class Recorder:
    def __init__(self) -> None:
        self.updates: list[tuple[str, int, bool]] = []

    def update(self, facts: StageFacts, *, stage_end: bool = False) -> None:
        self.updates.append((facts.label, facts.done, stage_end))

    def note(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def test_rate_and_eta_count_only_this_runs_units_and_each_stage_ends_once() -> None:
    now = [100.0]
    sink = Recorder()
    progress = RunProgress(sink, clock_fn=lambda: now[0])
    progress.start(estimate_usd=0.01)
    progress.stage("stage 1/2 worker x4", 4)
    progress.advance(0.0, reused=True)  # done before a resume: no pace
    now[0] += 2.0
    progress.advance(0.002, error=True)
    facts = progress.stage_facts
    assert facts is not None
    assert facts.rate(now[0]) == 0.5 and facts.eta_s(now[0]) == 4.0
    assert facts.errors == 1 and facts.spent_usd == 0.002
    assert "2/4 harness runs, 0.5 runs/s, ETA 0:04, spent $0.0020 of ~$0.0100" in facts.line(now[0])
    progress.stage("stage 2/2 aggregator x1", 1)  # ends stage 1
    progress.close()
    ends = [(label, done) for label, done, end in sink.updates if end]
    assert ends == [("stage 1/2 worker x4", 2), ("stage 2/2 aggregator x1", 0)]
