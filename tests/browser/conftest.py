"""Browser tests: real pages in Debian's headless Chromium, driven by Playwright.

Playwright's own browser downloads are never used (this project's machines reach no download host): the tests
launch the system's /usr/bin/chromium, which scripts/browser/install-chromium.sh installs. Without it the tests
skip on a developer's machine and fail on CI (CI set), so a CI machine that lost its browser cannot pass green.

Every page records the console errors, uncaught exceptions and requests it made, so a test can assert that a
page loads nothing from anywhere but 127.0.0.1 and runs clean. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.support import ROOT

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "build" / "screenshots"
# No network beyond 127.0.0.1 here: nothing in the background (updates, sync, safe browsing) may try to reach out.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
LOCAL_HOSTS = frozenset({"127.0.0.1"})
# What a status page drew, per monitor: its cells (date, size, painted fill, tooltip) and its chart's line.
DRAWN = """() => [...document.querySelectorAll('section.monitor')].map(section => {
    const box = element => { const b = element.getBoundingClientRect(); return {width: b.width, height: b.height}; };
    const line = section.querySelector('svg.plot path.line');
    return {
        id: section.dataset.monitor,
        cells: [...section.querySelectorAll('svg.days rect[data-date]')].map(cell => ({
            date: cell.dataset.date, ...box(cell), fill: getComputedStyle(cell).fill,
            title: cell.querySelector('title').textContent})),
        line: line && {d: line.getAttribute('d'), length: line.getTotalLength(), ...box(line)},
    };
})"""


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The system Chromium; a missing one skips the browser tests, or fails them on CI."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"{CHROMIUM} is missing: run scripts/browser/install-chromium.sh (installs Debian's chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# Per module, not per session: while Playwright's sync API runs, the main thread has a running event loop, and
# every later test calling asyncio.run() (the probes, for one) would fail.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium_path: Path) -> Iterator[Browser]:
    # A plain launch gives every context a fresh, throw-away profile.
    launched = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=list(CHROMIUM_ARGS))
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@dataclass
class RecordedPage:
    """A page and what happened while it was open."""

    page: Page
    context: BrowserContext
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def foreign_requests(self) -> list[str]:
        """Requests to any host but 127.0.0.1 (data: URLs load nothing and are fine)."""
        return [
            url for url in self.requests if not url.startswith("data:") and urlsplit(url).hostname not in LOCAL_HOSTS
        ]

    def screenshot(self, path: Path) -> Path:
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path


OpenPage = Callable[..., RecordedPage]


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """open_page(viewport, color_scheme="light", headers=None): a new page in a fresh context, closed after the
    test; a viewport narrower than 600 px is a phone's (mobile, touch, 2x pixels)."""
    contexts: list[BrowserContext] = []

    def open_(
        viewport: dict[str, int], color_scheme: str = "light", headers: dict[str, str] | None = None
    ) -> RecordedPage:
        phone = viewport["width"] < 600
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            color_scheme=color_scheme,  # type: ignore[arg-type]
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
            extra_http_headers=headers,
            service_workers="block",
        )
        contexts.append(context)
        recorded = RecordedPage(context.new_page(), context)
        recorded.page.on("request", lambda request: recorded.requests.append(request.url))
        recorded.page.on(
            "console", lambda message: recorded.console_errors.append(message.text) if message.type == "error" else None
        )
        recorded.page.on("pageerror", lambda error: recorded.page_errors.append(str(error)))
        return recorded

    yield open_
    for context in contexts:
        context.close()
