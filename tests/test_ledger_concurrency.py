"""Appends from several processes at once are serialised: no interleaving, no broken link."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from mapelite.ledger.chain import Ledger

WRITER = """
import sys, time
from pathlib import Path
from mapelite.ledger.chain import Ledger
from tests.test_ledger import make_result

ledger_path, go_file = Path(sys.argv[1]), Path(sys.argv[2])
writer, count = sys.argv[3], int(sys.argv[4])
ledger = Ledger(ledger_path)
entries = [make_result(i % 8, run_id=f"w{writer}", unit_key=f"w{writer}-{i}") for i in range(count)]
while not go_file.exists():  # start together so the appends really overlap
    time.sleep(0.005)
for entry in entries:
    ledger.append(entry)
"""


def test_four_processes_appending_250_each_give_a_valid_1000_entry_ledger(tmp_path: Path):
    ledger_path = tmp_path / "ledger.jsonl"
    go_file = tmp_path / "go"
    repo = Path(__file__).resolve().parent.parent
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(ledger_path), str(go_file), str(w), "250"],
            cwd=repo,
        )
        for w in range(4)
    ]
    time.sleep(0.5)  # let the interpreters start; they poll for the go file
    go_file.touch()
    for writer in writers:
        assert writer.wait(timeout=120) == 0

    ledger = Ledger(ledger_path)
    report = ledger.verify()
    assert (report.valid, report.entries) == (True, 1000)
    for w in range(4):
        assert len(ledger.results_for_run(f"w{w}")) == 250
