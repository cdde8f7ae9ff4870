"""The viewer at 10,000 item answers: file size, time to write it, time to open it in headless
chromium against an empty page opened by the same browser in the same run.

The ledger: a batch of the 8 demo models × 8 harnesses × 100 generated items (6,400 answers)
and a :1010 swarm (18 agents) × 8 harnesses × 25 items (3,600 answers). Each answer is about
600 characters of seeded random words ending in the item's reference or near miss, and every
third carries a 1,500-character thinking block: text that compresses about as badly as a real
model's prose (the simulator's answers repeat and would flatter the size). The file holds the
rebuilt prompts (STORE's at 4,000 tokens) as a real run's would.

"Usable" is the page's own signal: the data unpacked, the grid drawn, keys bound
(``body[data-ready]``); the time runs from navigation start (the browser's own clock).

    python -m bench --only viewer
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from bench.common import Row, median, temp_dir
from mapelite.banks import sample_items
from mapelite.catalog.models import load_catalog
from mapelite.ledger.chain import Ledger
from mapelite.schemas import HARNESS_NAMES, HarnessResult

SIZE_BUDGET_MB = 10.0
OPEN_BUDGET_S = 2.0
BATCH_ITEMS = 100
SWARM_ITEMS = 25
ANSWER_CHARS = 600
THINKING_CHARS = 1500
_WORDS = [
    "".join(random.Random(n).choices("abcdefghijklmnopqrstuvwxyz", k=2 + n % 9))
    for n in range(3000)
]
SWARM_STAGES = ((8, "worker"), (1, "aggregator"), (8, "consumer"), (1, "aggregator"))


def _prose(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(rng.choice(_WORDS))
    return " ".join(words)


def _entry(model: str, harness_id: int, items: list[Any], run_id: str, n: int, **context: Any):
    outcomes = []
    rng = random.Random(f"{run_id}|{model}|{harness_id}|{n}")
    for k, item in enumerate(items):
        right = (n + k) % 3 != 0
        final = item.reference if right else item.near_miss
        outcomes.append({
            "item_id": item.id, "bank": item.bank, "bank_version": item.bank_version,
            "family": item.family, "answer": _prose(rng, ANSWER_CHARS) + "\n\n" + final,
            "score": 1.0 if right else 0.0, "latency_s": 0.4 + k % 7 / 10,
            "tokens_in": 200 + k, "tokens_out": 40 + k % 50, "cost_usd": 2e-5,
            "thinking": _prose(rng, THINKING_CHARS) if k % 3 == 0 else None,
            "finish_reason": "stop", "served_by": "Simulated",
        })  # fmt: skip
    raw = sum(o["score"] for o in outcomes)
    return HarnessResult.model_validate({
        "harness_id": harness_id, "harness_name": HARNESS_NAMES[harness_id], "model": model,
        "scores": {"raw": raw, "normalized": raw / len(outcomes)},
        "metadata": {"run_id": run_id, "items": outcomes, "simulated": True,
                     "cost_usd": 2e-5 * len(outcomes), **context},
    })  # fmt: skip


def write_ledger(path: Path) -> int:
    """The 10,000-answer ledger described above; returns the number of answers."""
    models = list(load_catalog().tier("demo"))
    ledger = Ledger(path)
    entries = []
    for harness_id in HARNESS_NAMES:
        items = sample_items(harness_id, BATCH_ITEMS, 1, bank="gen")
        for n, model in enumerate(models):
            entries.append(_entry(model, harness_id, items, "bench-batch", n, agent=n, stage=0))
    for harness_id in HARNESS_NAMES:
        items = sample_items(harness_id, SWARM_ITEMS, 2, bank="gen")
        for stage, (width, role) in enumerate(SWARM_STAGES):
            for agent in range(width):
                model = models[agent % len(models)] if width > 1 else models[0]
                place = {"pattern": ":1010", "stage": stage, "agent": agent, "role": role}
                entries.append(
                    _entry(model, harness_id, items, "bench-swarm", stage + agent, **place)
                )
    ledger.append_many(entries)
    return sum(len(e.metadata.items) for e in entries)


def _open_s(page: Any, path: Path, ready: str | None) -> float:
    """Seconds from navigation start to ``ready`` (or to the load event), by the page's clock."""
    page.goto(path.resolve().as_uri(), wait_until="load")
    if ready is not None:
        page.wait_for_selector(ready, state="attached", timeout=60_000)
        return float(page.evaluate("window.viewerReadyMs")) / 1000
    return float(page.evaluate("performance.now()")) / 1000


def viewer_rows(reps: int) -> list[Row]:
    reps = max(reps, 3)  # an open takes about a second: three even in --quick
    from playwright.sync_api import sync_playwright

    from mapelite.testing.browser import OfflinePage, launch
    from profiles.viewer.page import write_viewer

    with temp_dir("mapelite-bench-viewer-") as workdir:
        answers = write_ledger(workdir / "ledger.jsonl")
        started = time.perf_counter()
        written = write_viewer(workdir / "ledger.jsonl", workdir / "viewer.html")
        build_s = time.perf_counter() - started
        empty = workdir / "empty.html"
        empty.write_text("<!doctype html><title>empty</title><p>empty</p>")
        size_mb = written.bytes / 1e6
        print(f"  {answers:,} answers: {size_mb:.2f} MB, written in {build_s:.1f} s", flush=True)
        opened: list[float] = []
        baseline: list[float] = []
        errors: list[str] = []
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                # The first page of a fresh browser pays its start-up: opened once, not counted.
                for rep in range(reps + 1):
                    for target, into, ready in (
                        (empty, baseline, None),
                        (written.path, opened, "body[data-ready='1']"),
                    ):
                        page = OfflinePage(browser)
                        took = _open_s(page.page, target, ready)
                        if rep:
                            into.append(took)
                        errors += page.errors + page.requests
                        page.close()
            finally:
                browser.close()
    open_s, empty_s = median(opened), median(baseline)
    print(f"  open {open_s * 1000:.0f} ms (empty page {empty_s * 1000:.0f} ms)", flush=True)
    error = "; ".join(errors)[:200] or None
    return [
        Row(case=f"viewer file, {answers:,} answers", wall_s=size_mb, baseline="budget",
            baseline_s=SIZE_BUDGET_MB, target=1.0, shown=f"{size_mb:.2f} MB",
            baseline_shown=f"{SIZE_BUDGET_MB:g} MB",
            note=f"MB against the {SIZE_BUDGET_MB:g} MB budget; written in {build_s:.1f} s"),
        Row(case="viewer open until usable, headless chromium", wall_s=open_s,
            baseline="budget", baseline_s=OPEN_BUDGET_S, target=1.0, reps=reps, error=error,
            note=f"navigation start to grid drawn; {OPEN_BUDGET_S:g} s budget"),
        Row(case="viewer open vs an empty page", wall_s=open_s, baseline="empty page",
            baseline_s=empty_s, reps=reps, error=error,
            note="same browser, same run: what the viewer adds to opening any file"),
    ]  # fmt: skip


if __name__ == "__main__":
    from bench.common import format_table

    print(format_table(viewer_rows(3)))
