"""Browser fixtures: the session's app served on a free local port, Debian's Chromium driven by
Playwright, and a `page` that fails its test on any JavaScript error or console error.

A plain fixture rather than pytest-playwright (which warns under pytest 9), and never a browser
downloaded by Playwright: only /usr/bin/chromium."""
from __future__ import annotations

import os
import re
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def _require_chromium() -> None:
    """Skip when this machine has no Chromium; on CI (env CI set) a missing browser is a failure."""
    if CHROMIUM.exists():
        return
    reason = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)"
    print(f"\n{reason}", file=sys.stderr)
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_server(app):
    """The base URL of the app, served by werkzeug in a thread for the whole session."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="baomi-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) whose page knows the server and records every error.

    A test that means to get an error page adds a pattern to `page.expected_console_errors`, e.g.
    r"status of 422" for a form sent back with its errors; any other console error fails the test."""
    context = browser.new_context(base_url=live_server, viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.js_errors = []
    page.expected_console_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and page.js_errors.append(
        f"console.error at {msg.location.get('url', '?')}: {msg.text}"))
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Turn JavaScript errors seen by the test's page into a failure of the test itself."""
    result = yield
    page = item.funcargs.get("page")
    errors = [e for e in getattr(page, "js_errors", [])
              if not any(re.search(p, e) for p in getattr(page, "expected_console_errors", []))]
    if errors:
        pytest.fail("errors in the browser:\n" + "\n".join(errors), pytrace=False)
    return result


@pytest.fixture
def screenshot(page):
    """`screenshot("inbox")` saves tests/screenshots/inbox.png of the whole page and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path
    return take
