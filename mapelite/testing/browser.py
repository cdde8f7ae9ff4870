"""Debian's chromium driven by Playwright, for the viewer's browser tests and benchmark.

Playwright's wheel ships its driver; its own browser download is never used (``playwright
install`` is not run): the browser is the system's ``/usr/bin/chromium`` (``make setup``
installs it). Imported only by tests and benchmarks (Playwright is a dev dependency).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> Path:
    """The system chromium; a one-line RuntimeError naming the fix when it is missing."""
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if found is None:
        raise RuntimeError("no /usr/bin/chromium: run `make setup` (it installs Debian's chromium)")
    return Path(found)


def launch(playwright: Any) -> Any:
    """A headless chromium browser of ``playwright`` (a started sync_playwright())."""
    return playwright.chromium.launch(
        executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS)
    )


class OfflinePage:
    """A page that may load only ``file://`` URLs: every other request is aborted and kept in
    ``requests``; console errors and uncaught exceptions are kept in ``errors``."""

    def __init__(self, browser: Any, viewport: tuple[int, int] = (1400, 900)) -> None:
        self.context = browser.new_context(
            offline=True, viewport={"width": viewport[0], "height": viewport[1]}
        )
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.route("**/*", self._route)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def open(self, path: Path, ready: str = "body[data-ready='1']") -> Any:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector(ready, state="attached")
        return self.page

    def close(self) -> None:
        self.context.close()
