"""Fixtures of the browser tests: one headless Chromium for the session, the app served on loopback.

Without chromium and chromedriver these tests skip, except under CI=true, where they fail
(``.ci/run`` installs Debian's ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.app import create_app
from domain.settings import Settings
from tests.browser.web_client import Site, serve_site
from tests.conftest import unavailable
from tests.support.browser import clear_logs, missing_browser, serve, start_chrome
from tests.support.settings import make_settings


@pytest.fixture(scope="session")
def chrome():
    """The session's headless Chromium (started once: it takes a second or two)."""
    reason = missing_browser()
    if reason:
        unavailable("Chromium", reason)
    try:
        driver = start_chrome()
    except Exception as exc:  # noqa: BLE001  chromedriver's own errors say what is wrong
        unavailable("Chromium", str(exc).splitlines()[0])
    yield driver
    driver.quit()


@pytest.fixture
def browser(chrome):
    """The headless Chromium, with no cookies and empty console and network logs."""
    chrome.delete_all_cookies()
    clear_logs(chrome)
    return chrome


@dataclass(frozen=True)
class LiveApp:
    """The app served on loopback: its base URL and the settings it runs with."""

    base_url: str
    settings: Settings

    def url(self, path: str = "/") -> str:
        return self.base_url + path


@pytest.fixture
def live_app(sqlite_url, tmp_path, redis_url):
    """The real app under uvicorn, on a migrated SQLite database and the (flushed) test Redis."""
    settings = make_settings(sqlite_url, tmp_path, redis_url=redis_url)
    with serve(create_app(settings)) as base_url:
        yield LiveApp(base_url, settings)


@pytest.fixture(scope="session")
def site(chrome, tmp_path_factory, sqlite_template) -> Site:
    """The web client's site (see :func:`tests.browser.web_client.serve_site`), shared by its tests.

    Asks for ``chrome`` first, so that without Chromium the tests skip before any set-up.
    """
    with serve_site(tmp_path_factory.mktemp("web-client"), sqlite_template) as served:
        yield served


@pytest.fixture
def signed_out(site, browser):
    """The browser with no session of the client (its token lives in localStorage) and empty logs."""
    browser.get(site.base_url + "/healthz")
    browser.execute_script("localStorage.clear()")
    clear_logs(browser)
    return browser
