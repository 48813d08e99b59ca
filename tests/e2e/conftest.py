"""Browser tests: Debian's Chromium driven by Playwright, against a live server whose photos
are processed by a real Celery worker on a real redis-server. Nothing is downloaded: the
browser is the OS package (scripts/test installs it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS

# Screenshots and traces of the run, kept for people to look at (git ignores the folder).
OUTPUT = Path(__file__).resolve().parents[2] / "test-results" / "e2e"

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def browser():
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing; scripts/test installs Debian's chromium package")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def console_errors() -> list[str]:
    """What the pages wrote to the console as errors (a blocked script or style shows here)."""
    return []


@pytest.fixture
def person(browser, live_server, console_errors):
    """A new browser profile (its own cookies and cache) per person, closed afterwards."""
    contexts = []

    def record(message) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    def open_page(viewport=None, **options):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or {"width": 1200, "height": 900}, **options
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", record)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
