"""Core commands: verify, cost-estimate, models (+ refresh), harnesses; one-line errors."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cli.app import run_app
from cli.main import build_app
from mapelite.catalog.models import load_catalog
from mapelite.ledger.chain import Ledger
from tests.test_ledger import make_result

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).parent / "data" / "openrouter_models_sample.json"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_app(build_app(), list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _ledger_with(path: Path, entries: int = 3) -> Ledger:
    ledger = Ledger(path)
    ledger.append_many([make_result(i) for i in range(entries)])
    return ledger


def _edit_one_byte(path: Path, line: int) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    target = bytearray(lines[line])
    at = target.index(b'"model":"') + 10
    target[at] = ord("Z")
    lines[line] = bytes(target)
    path.write_bytes(b"".join(lines))


def test_verify_a_good_ledger_exits_0(capsys, tmp_path: Path):
    _ledger_with(tmp_path / "l.jsonl")
    code, out, _ = cli(capsys, "verify", str(tmp_path / "l.jsonl"))
    assert code == 0
    assert "3 entries" in out and "OK" in out


def test_verify_defaults_to_the_settings_ledger(capsys, mapelite_home: Path):
    _ledger_with(mapelite_home / "ledger.jsonl", entries=2)
    code, out, _ = cli(capsys, "verify")
    assert code == 0 and "2 entries" in out


def test_verify_an_edited_byte_prints_the_first_corrupt_index_and_exits_1(capsys, tmp_path):
    path = tmp_path / "l.jsonl"
    _ledger_with(path, entries=4)
    _edit_one_byte(path, line=2)
    code, out, _ = cli(capsys, "verify", str(path))
    assert code == 1
    assert "index 2" in out and "CORRUPT" in out


def test_verify_a_torn_last_line_exits_1(capsys, tmp_path: Path):
    path = tmp_path / "l.jsonl"
    _ledger_with(path)
    path.write_bytes(path.read_bytes()[:-5])
    code, out, _ = cli(capsys, "verify", str(path))
    assert code == 1 and "index 2" in out and "torn" in out


def test_verify_a_missing_ledger_exits_1_with_one_line(capsys, tmp_path: Path):
    code, _, err = cli(capsys, "verify", str(tmp_path / "absent.jsonl"))
    assert code == 1
    assert err.strip().count("\n") == 0 and "no ledger" in err


def test_cost_estimate_prints_the_estimate(capsys):
    code, out, _ = cli(capsys, "cost-estimate", ":1010", "--tier", "tier1")
    assert code == 0
    assert "estimated $" in out and "worst case $" in out
    assert "SIMULATED" not in out


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["cost-estimate", ":9", "--tier", "tier1"], ["':9'", ":0 :10 :01 :1010 :20"]),
        (["cost-estimate", ":10", "--tier", "nope"], ["'nope'", "tier1"]),
        (["cost-estimate", ":10", "--tier", "tier1", "--harness", "99"], ["'99'"]),
        (
            ["cost-estimate", ":10", "--tier", "tier1", "--lead", "openrouter/x/y"],
            ["openrouter/x/y"],
        ),
        (["models", "--tier", "nope"], ["'nope'"]),
    ],
)
def test_bad_input_is_one_line_naming_the_problem_and_exit_2(capsys, argv, names):
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and err.strip().count("\n") == 0
    for name in names:
        assert name in err


def test_cost_estimate_for_the_demo_tier_says_simulated(capsys):
    code, out, _ = cli(
        capsys, "cost-estimate", ":10", "--tier", "demo", "--harness", "0,DECIDE", "--runs", "3"
    )
    assert code == 0
    assert "SIMULATED" in out and "runs 3" in out and "harnesses 0,7" in out


def test_cost_estimate_warns_above_warn_usd(capsys, monkeypatch):
    from mapelite.config.settings import get_settings

    monkeypatch.setenv("MAPELITE_WARN_USD", "0.000001")
    get_settings.cache_clear()
    code, out, _ = cli(capsys, "cost-estimate", ":0", "--tier", "tier1")
    assert code == 0 and "WARNING" in out and "MAPELITE_WARN_USD" in out


def test_models_lists_a_tier_with_prices(capsys):
    code, out, _ = cli(capsys, "models", "--tier", "tier1")
    assert code == 0
    assert "llama-3.1-8b-instruct" in out and "refresh" in out


def test_harnesses_lists_all_eight_with_item_counts(capsys):
    from mapelite.harnesses import HARNESSES

    code, out, _ = cli(capsys, "harnesses")
    assert code == 0
    for harness in HARNESSES.values():
        assert harness.name in out
    assert len(HARNESSES) == 8


class _ModelList(BaseHTTPRequestHandler):
    """Serves the saved OpenRouter sample at /api/v1/models."""

    def do_GET(self) -> None:
        body = SAMPLE.read_bytes() if self.path.endswith("/models") else b"{}"
        self.send_response(200 if self.path.endswith("/models") else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def openrouter_model_list(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ModelList)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    monkeypatch.setenv("MAPELITE_OPENROUTER_BASE_URL", url)
    from mapelite.config.settings import get_settings

    get_settings.cache_clear()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_models_refresh_writes_the_home_catalog_that_is_then_used(
    capsys, mapelite_home: Path, openrouter_model_list: str
):
    code, out, _ = cli(capsys, "models", "refresh")
    assert code == 0, out
    written = mapelite_home / "catalog.json"
    assert written.is_file() and "5 OpenRouter chat models" in out
    data = json.loads(written.read_text())
    assert data["snapshot_date"]
    catalog = load_catalog()
    assert catalog.source == str(written)
    assert catalog.get("openrouter/google/gemini-2.5-flash-lite").input_price_per_m == 0.1
    code, out, _ = cli(capsys, "models", "--tier", "tier1")
    assert code == 0 and "gpt-5-nano" in out and "llama-3.2-1b" not in out


def _run(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "map-elite"), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={"MAPELITE_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home)},
        cwd=home,
    )


def test_acceptance_commands_in_a_real_subprocess(tmp_path: Path):
    ok = _run("cost-estimate", ":1010", "--tier", "tier1", home=tmp_path)
    assert ok.returncode == 0 and "estimated $" in ok.stdout, ok.stderr
    for argv, needle in (([":9", "--tier", "tier1"], ":9"), ([":10", "--tier", "nope"], "nope")):
        bad = _run("cost-estimate", *argv, home=tmp_path)
        assert bad.returncode == 2
        assert bad.stderr.strip().count("\n") == 0 and needle in bad.stderr
        assert "Traceback" not in bad.stderr

    ledger = tmp_path / "ledger.jsonl"
    _ledger_with(ledger, entries=3)
    assert _run("verify", home=tmp_path).returncode == 0
    _edit_one_byte(ledger, line=1)
    corrupt = _run("verify", str(ledger), home=tmp_path)
    assert corrupt.returncode == 1 and "index 1" in corrupt.stdout
