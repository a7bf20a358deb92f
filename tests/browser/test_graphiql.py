"""GraphiQL at /graphql in a real browser: it renders with its explorer, runs a query, and loads
nothing from anywhere but the app (no CDN), with no failed load and no console error."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from tests.support.browser import console_errors, failed_requests, save_page_screenshot, serve
from tests.support.settings import make_settings

pytestmark = pytest.mark.browser
WAIT_SECONDS = 20
QUERY = "{ engines { name status } }"


@pytest.fixture
def app_url(sqlite_url, tmp_path):
    with serve(create_app(make_settings(sqlite_url, tmp_path))) as base_url:
        yield base_url


def test_graphiql_renders_and_runs_a_query_from_local_files(browser, app_url):
    browser.get(f"{app_url}/graphql?q={quote(QUERY)}")
    wait = WebDriverWait(browser, WAIT_SECONDS)
    wait.until(seen.element_to_be_clickable((By.CLASS_NAME, "graphiql-execute-button"))).click()
    wait.until(seen.text_to_be_present_in_element((By.CLASS_NAME, "result-window"), '"content_gmm"'))
    assert '"status": "NOT_TRAINED"' in browser.find_element(By.CLASS_NAME, "result-window").text
    assert browser.find_elements(By.CSS_SELECTOR, "button[aria-label='Show GraphiQL Explorer']")
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert {urlsplit(url).netloc for url in loaded} == {urlsplit(app_url).netloc}
    assert sum("/graphiql/" in url for url in loaded) == 6
    save_page_screenshot(browser, "graphiql")
    assert failed_requests(browser) == []
    assert console_errors(browser) == []
