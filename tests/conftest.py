"""Browser fixtures: Debian's Chromium driven by Playwright, and pages that record each failed
request and console error, since a page that "opens" must have none.

Playwright's own browser builds cannot be downloaded everywhere we run; `./dev test` installs
Debian's `chromium` where it is missing and these fixtures drive that one (`CHROMIUM` names
another).
"""

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    async_playwright,
)

# headless, and nothing that reaches out on its own (updates, sync, QUIC probes): the tests
# must pass where only the local servers answer
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class WatchedPage:
    """A page and what went wrong on it: failed or refused requests, console errors."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def watch(self) -> "WatchedPage":
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)
        return self

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.problems.append(f"console error: {message.text} {where}".strip())

    def _on_request_failed(self, request: Request) -> None:
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")


OpenPage = Callable[..., Awaitable[WatchedPage]]


@pytest.fixture(scope="session")
def chromium() -> str:
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(
            f"no Chromium at {executable}: ./dev test installs Debian's chromium "
            "(as root: apt-get install -y chromium), or set CHROMIUM=/path/to/chromium"
        )
    return executable


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def open_page(browser: Browser) -> AsyncIterator[OpenPage]:
    """`await open_page(url, headers={...})`: a fresh context (no shared storage) per page."""
    contexts: list[BrowserContext] = []

    async def open_(url: str, *, headers: dict[str, str] | None = None) -> WatchedPage:
        context = await browser.new_context(extra_http_headers=headers)
        contexts.append(context)
        watched = WatchedPage(await context.new_page()).watch()
        await watched.page.goto(url)
        return watched

    yield open_
    for context in contexts:
        await context.close()
