"""A real Chromium, driven by Playwright, against pytest-django's live server.

Debian's `chromium` is used (make test installs it when it runs as root). Without it the browser
tests skip with the reason; with CI=true they fail instead, so CI can never pass without them.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def _chromium_path() -> str | None:
    configured = os.environ.get("LAYAN_CHROMIUM")
    if configured:
        return configured
    return next((path for name in CHROMIUM_CANDIDATES if (path := shutil.which(name))), None)


@pytest.fixture(scope="module")
def chromium():
    """One browser per test module. Playwright's loop must not outlive the module: later asyncio
    tests (WebSocket consumers) in the same worker process need a thread without a running loop."""
    executable = _chromium_path()
    reason = None
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium, or set LAYAN_CHROMIUM)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the browser tests: {reason}")
        pytest.skip(reason)
    # Playwright's sync API keeps an event loop running in this thread. pytest-django's own database
    # setup and flushes are synchronous code that Django's guard would then refuse, hence the flag.
    # A test's server-side work (creating data, a customer writing in) goes through `server_side`,
    # which runs it in a plain thread as the server would, where async_to_sync works too.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def server_side():
    """`server_side(fn, *args, **kwargs)` runs fn in a plain thread and returns its result."""
    from django.db import connections

    def run_in_thread(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        yield lambda fn, *args, **kwargs: pool.submit(run_in_thread, fn, *args, **kwargs).result()
