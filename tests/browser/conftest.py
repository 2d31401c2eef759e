"""A real browser (Debian's Chromium, driven by Playwright) against a live server on the test database.

Skipped, with the reason, only when /usr/bin/chromium is missing (``.ci/run`` installs it).
"""

import os
from pathlib import Path

import pytest

from tests.web.conftest import pinned_clock, stocked, team  # noqa: F401 (fixtures shared with the page tests)

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "screens"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module, closed after it: Playwright's event loop must not outlive the browser tests
    (later asyncio tests need the thread's loop free, and the async-safety guard back on)."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; Django's ORM calls made by the tests themselves
    # (set-up data, asserts) are still synchronous, so its async-context guard is lifted while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page_for(browser, live_server):
    """A fresh signed-in page per role, at a given width (1920 desktop, 360 handheld)."""
    contexts = []

    def open_as(role: str, password: str, width: int = 1920):
        context = browser.new_context(viewport={"width": width, "height": 1000 if width > 800 else 740})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", role)
        page.fill("input[name=password]", password)
        page.click("button.primary")
        page.wait_for_load_state("networkidle")
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    target = ARTEFACTS / f"{name}-{width}.png"
    page.screenshot(path=str(target), full_page=True)
    return target
