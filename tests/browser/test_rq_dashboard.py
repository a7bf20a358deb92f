"""rq-dashboard at /rq in a real browser: an admin sees the queue table its scripts render,
every stylesheet, icon and script loads, bootstrap's styles apply, and a queued job is listed."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from domain.db import create_db_engine
from domain.jobs.queues import JOB_QUEUES, QUEUES, enqueue
from tests.support.accounts import user_with_token
from tests.support.browser import console_errors, failed_requests, save_screenshot, with_credentials

pytestmark = [pytest.mark.browser, pytest.mark.redis]
WAIT_SECONDS = 15
PAGE_ASSETS = {f"/rq/static/{name}" for name in (
    "css/bootstrap.min.css", "css/main.css", "js/jquery-3.5.1.min.js", "js/underscore-umd-min.js",
    "js/sugar-1.2.1.min.js", "js/bootstrap.bundle.min.js")}


@pytest.fixture
def signed_in(live_app, browser):
    """A function opening a page of the app signed in as an admin (HTTP Basic: nickname and token)."""
    engine = create_db_engine(live_app.settings.database_url)
    _, token = user_with_token(engine, "root", admin=True)
    engine.dispose()

    def open_page(path: str):
        browser.get(with_credentials(live_app.url(path), "root", token))
        return browser

    return open_page


def one_job_per_queue(settings) -> None:
    """Enqueue (with no worker to run it) a job on each queue: RQ lists a queue once it had a job."""
    by_queue = {queue: path for path, queue in JOB_QUEUES.items()}
    for queue in QUEUES:
        enqueue(by_queue[queue], settings)


def test_queues_page_renders_with_its_styles_and_assets(live_app, signed_in):
    one_job_per_queue(live_app.settings)
    browser = signed_in("/rq/")
    WebDriverWait(browser, WAIT_SECONDS).until(
        seen.presence_of_element_located((By.CSS_SELECTOR, "table#queues tr[data-role=queue]")))
    rows = browser.find_elements(By.CSS_SELECTOR, "table#queues tr[data-role=queue]")
    assert sorted(row.find_element(By.TAG_NAME, "td").text for row in rows) == sorted(QUEUES)
    # Styles the browser's defaults do not give: bootstrap.min.css's tables and navbar, main.css's background.
    table = browser.find_element(By.ID, "queues")
    assert table.value_of_css_property("border-collapse") == "collapse"
    assert table.value_of_css_property("margin-bottom") == "16px"  # .table's 1rem
    assert browser.find_element(By.ID, "navbar-dashboard").value_of_css_property("display") == "flex"
    assert browser.find_element(By.TAG_NAME, "body").value_of_css_property("background-color") == "rgba(248, 249, 250, 1)"
    loaded = {urlsplit(url).path for url in browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)")}
    assert loaded >= {*PAGE_ASSETS, "/rq/0/data/queues.json"}, loaded
    save_screenshot(browser, "rq-dashboard-queues")
    assert failed_requests(browser) == []
    assert console_errors(browser) == []


def test_a_queued_job_is_listed(live_app, signed_in):
    job = enqueue("jobs.charts.aggregate_charts", live_app.settings)
    browser = signed_in("/rq/0/view/jobs/realtime/queued/8/asc/1")
    row = WebDriverWait(browser, WAIT_SECONDS).until(
        seen.presence_of_element_located((By.CSS_SELECTOR, f"table#jobs tr[data-role=job][data-job-id='{job.id}']")))
    assert "jobs.charts.aggregate_charts" in row.find_element(By.CSS_SELECTOR, ".description").text
    save_screenshot(browser, "rq-dashboard-queued-job")
    assert failed_requests(browser) == []
    assert console_errors(browser) == []


def test_a_missing_asset_is_reported(live_app, signed_in):
    """The checks above would see a stylesheet that does not load."""
    browser = signed_in("/rq/")
    outcome = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const link = document.createElement('link');
        link.rel = 'stylesheet';
        link.href = '/rq/static/css/missing.css';
        link.onload = () => done('loaded');
        link.onerror = () => done('failed');
        document.head.appendChild(link);""")
    assert outcome == "failed"
    assert f"404 {live_app.url('/rq/static/css/missing.css')}" in failed_requests(browser)
    assert any("missing.css" in message for message in console_errors(browser))
