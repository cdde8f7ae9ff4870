"""The viewer in a real browser (Debian's chromium, headless, offline): a ledger made through the
real CLI on the demo tier (a batch, a :1010 swarm, a compare) plus one real-model answer with a
thinking block, written by `map-elite view`, opened with every network request refused."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.app import run_app
from cli.main import build_app
from mapelite.ledger.chain import Ledger
from mapelite.testing.browser import OfflinePage, launch
from tests.test_profiles import NANO, result

REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "viewer.png"
THINKING = "The ferry question: 389 / 26 is 14.96, so 15 crossings."


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One browser for these tests. Module-scoped, not session-scoped: while Playwright's sync
    API is started, its event loop counts as running in this thread, and later tests that call
    asyncio.run() would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def demo_view(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The viewer file of a demo ledger made by the command line itself."""
    home = tmp_path_factory.mktemp("viewer-home")
    sample = ["--bank", "gen", "--items", "5", "--yes"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MAPELITE_HOME", str(home))
        from mapelite.config.settings import get_settings

        get_settings.cache_clear()
        try:
            app = build_app()
            assert run_app(app, ["batch", "demo", "--harness", "0,7", *sample]) == 0
            assert (
                run_app(app, ["swarm", ":1010", "--tier", "demo", "--harness", "7", *sample]) == 0
            )
            ledger = Ledger(home / "ledger.jsonl")
            swarm_run = list(ledger.read())[-1].metadata.run_id
            assert run_app(app, ["compare", "mockllm/atlas", swarm_run]) == 0
            answered = result(NANO, 7, "10", 1, "real-1")
            items = [o.model_copy(update={"thinking": THINKING, "finish_reason": "length",
                                          "reasoning_tokens": 40, "served_by": "Acme"})
                     for o in answered.metadata.items]  # fmt: skip
            answered.metadata.items = items
            ledger.append(answered)
            out = home / "v.html"
            assert run_app(app, ["view", "--out", str(out)]) == 0
        finally:
            get_settings.cache_clear()
    return out


@pytest.fixture
def page(browser: Any) -> Iterator[OfflinePage]:
    opened = OfflinePage(browser)
    opened.page.set_default_timeout(20_000)
    yield opened
    opened.close()


def test_the_file_opens_offline_and_shows_the_grid(demo_view: Path, page: OfflinePage) -> None:
    view = page.open(demo_view)
    grid = view.locator("#grid").inner_text()
    for name in ("mockllm/atlas", "mockllm/harbor", NANO, "swarm :1010", "SENSE", "DECIDE"):
        assert name in grid
    assert "SIMULATED" in view.locator("#sim-banner").inner_text()
    assert "n=" in grid and "[" in grid  # every score with its n and interval
    assert page.requests == [] and page.errors == []


def test_a_cell_lists_its_items_and_an_item_shows_answer_prompt_and_folded_thinking(
    demo_view: Path, page: OfflinePage
) -> None:
    view = page.open(demo_view)
    row = view.locator("#grid th.rowname", has_text=NANO)
    row_index = view.locator("#grid th.rowname").all_inner_texts().index(row.inner_text())
    view.click(f"#grid td.cell[data-row='{row_index}'][data-harness='7']")
    assert view.locator("#item-count").inner_text() == "2 items"
    view.keyboard.press("j")
    view.keyboard.press("k")
    view.keyboard.press("Enter")
    detail = view.locator("#detail")
    text = detail.inner_text()
    for seen in ("decide-01", "ANSWER", "PROMPT", "REFERENCE", "length", "truncated",
                 "40 reasoning", "Acme", "bakery"):  # fmt: skip
        assert seen in text, seen
    thinking = detail.locator("details.thinking")
    assert thinking.get_attribute("open") is None and not view.get_by_text(THINKING).is_visible()
    thinking.locator("summary").click()
    assert view.get_by_text(THINKING).is_visible()
    view.keyboard.press("Escape")
    assert detail.is_hidden()
    assert page.requests == [] and page.errors == []


def test_a_swarm_item_shows_its_stage_tree(demo_view: Path, page: OfflinePage) -> None:
    view = page.open(demo_view)
    swarm_row = [t for t in view.locator("#grid th.rowname").all_inner_texts() if "swarm" in t]
    index = view.locator("#grid th.rowname").all_inner_texts().index(swarm_row[0])
    view.click(f"#grid td.cell[data-row='{index}'][data-harness='7']")
    assert view.locator("#item-count").inner_text() == "5 items"
    view.locator("#item-list .row").first.click()
    stages = view.locator("#detail .stage")
    assert stages.count() == 4
    assert [stages.nth(i).locator(".node").count() for i in range(4)] == [8, 1, 8, 1]
    assert "first stage mean" in view.locator("#detail").inner_text()
    assert page.errors == []


def test_two_setups_are_compared_item_by_item(demo_view: Path, page: OfflinePage) -> None:
    view = page.open(demo_view)
    view.keyboard.press("4")
    names = view.locator("#cmp-a option").all_inner_texts()
    view.select_option("#cmp-a", str(names.index("mockllm/atlas")))
    view.select_option("#cmp-b", str(next(i for i, n in enumerate(names) if "swarm" in n)))
    summary = view.locator("#cmp-summary").inner_text()
    assert "On 5 shared items A wins" in summary and "A − B" in summary
    assert view.locator("#cmp-items tbody tr").count() == 5
    view.keyboard.press("5")
    assert view.locator("#frontier-plot circle").count() >= 9
    assert page.errors == []


def test_a_screenshot_of_the_viewer(demo_view: Path, page: OfflinePage, tmp_path: Path) -> None:
    """The README's picture: the grid, a swarm cell's items and one item's stage tree.
    Rewritten in docs/ only when MAPELITE_UPDATE_SCREENSHOT=1 or when missing (a run's paths
    and times differ)."""
    view = page.open(demo_view)
    view.set_viewport_size({"width": 1500, "height": 1000})
    names = view.locator("#grid th.rowname").all_inner_texts()
    swarm = next(i for i, name in enumerate(names) if "swarm" in name)
    view.click(f"#grid td.cell[data-row='{swarm}'][data-harness='7']")
    changed = view.locator("#item-list .row", has=view.locator(".tag.fixed, .tag.broke"))
    (changed.first if changed.count() else view.locator("#item-list .row").first).click()
    assert view.locator("#grid").is_visible() and view.locator("#detail .stage").count() == 4
    view.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "viewer.png"
    view.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 20_000
    if os.environ.get("MAPELITE_UPDATE_SCREENSHOT") == "1" or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
