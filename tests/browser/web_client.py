"""The web client's test site (the small demo, cheap engines trained, every job run once) and
the helpers that drive its pages in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlmodel import Session

from api.app import create_app
from domain.accounts.tables import User
from domain.accounts.users import set_password
from domain.catalog.tables import Track
from domain.charts.tables import ChartTop50
from domain.plays.tables import PlayEvent
from domain.settings import AuthSettings, EngineWeight, RecommenderSettings
from jobs.charts import aggregate_charts
from jobs.generated_playlists import generate_daily_mixes
from jobs.listening_stats import update_listening_rollups
from jobs.retrain import train_engines
from jobs.similar_users import similar_users
from jobs.stats import aggregate_overall_stats, aggregate_user_stats
from tests.support.accounts import FAST_AUTH
from tests.support.browser import console_errors, failed_requests, serve
from tests.support.demo import small_demo_database
from tests.support.settings import make_settings

WAIT_SECONDS = 20
# Cheap engines; content first, so that a play shows up at once as "because you played …".
MIX = {"content_gmm": 2.0, "demographic_popular": 1.0, "svd": 1.0}
LISTENER_PASSWORD = "steady-listener-45"


@dataclass(frozen=True)
class Site:
    """The served app: its URL, database, and the nickname of a listener with a history and the
    plays they had when the site was set up."""

    base_url: str
    database_url: str
    listener: str
    listener_plays: int

    def url(self, route: str) -> str:
        return f"{self.base_url}/#/{route}"


def count_everything(url: str) -> None:
    """The aggregations the schedule runs: charts, today's overall stats, each past day's user stats."""
    aggregate_charts(database_url=url)
    aggregate_overall_stats(database_url=url)
    today = datetime.now(UTC).date()
    for days_ago in range(1, 6):
        aggregate_user_stats(day=(today - timedelta(days=days_ago)).isoformat(), database_url=url)


def listener_with_history(engine, auth: AuthSettings) -> tuple[str, int]:
    """The demo listener with the most plays, given a password; returns the nickname and the plays."""
    with Session(engine) as session:
        user_id, plays = session.exec(sa.select(PlayEvent.user_id, sa.func.count()).group_by(PlayEvent.user_id)
                                      .order_by(sa.func.count().desc(), PlayEvent.user_id).limit(1)).one()
        user = session.get(User, user_id)
        set_password(session, user, LISTENER_PASSWORD, auth)
        session.commit()
        return user.nickname, plays


def top50_of_today(engine) -> None:
    """A Top 50 of the 20 most popular tracks, as the daily import would store it."""
    with Session(engine) as session:
        ids = session.exec(sa.select(Track.id).order_by(Track.popularity.desc(), Track.id).limit(20)).scalars().all()
        today = datetime.now(UTC).date()
        session.add_all(ChartTop50(chart_date=today, rank=rank, track_id=track_id, source_playlist="demo")
                        for rank, track_id in enumerate(ids, 1))
        session.commit()


@contextmanager
def serve_site(directory, sqlite_template) -> Iterator[Site]:
    """The app on the small demo, engines trained, charts, stats (daily and the listening rollups),
    daily mixes and similar listeners counted; jobs publish in-process."""
    url, engine = small_demo_database(directory, sqlite_template)
    settings = make_settings(url, directory, auth=AuthSettings(**FAST_AUTH), recommenders=RecommenderSettings(
        default_mix=[EngineWeight(engine=name, weight=weight) for name, weight in MIX.items()]))
    with pytest.MonkeyPatch.context() as env:
        # The jobs read their settings from the environment: keep their updates in this process.
        for name in ("REDIS_URL", "HZ45_REDIS_URL", "HZ45_CONFIG"):
            env.delenv(name, raising=False)
        train_engines(list(MIX), settings=settings, db_engine=engine)
        count_everything(url)
        generate_daily_mixes(settings=settings, engine=engine)
        similar_users(database_url=url)
        update_listening_rollups(database_url=url)
        listener, plays = listener_with_history(engine, settings.auth)
        top50_of_today(engine)
        with serve(create_app(settings)) as base_url:
            yield Site(base_url, url, listener, plays)
    engine.dispose()


def wait(browser):
    return WebDriverWait(browser, WAIT_SECONDS)


def ready(browser, page: str):
    """Wait until ``page`` has rendered what it loaded; returns its element (with no stray
    "null" or "undefined" in it, the mark of a value rendered by mistake)."""
    element = wait(browser).until(seen.presence_of_element_located(
        (By.CSS_SELECTOR, f"[data-page='{page}'][data-state='ready']")))
    assert browser.execute_script(STRAY_TEXT, element) == [], page
    return element


STRAY_TEXT = """
const walker = document.createTreeWalker(arguments[0], NodeFilter.SHOW_TEXT);
const stray = [];
while (walker.nextNode()) if (/^(null|undefined|NaN|\\[object Object\\])$/.test(walker.currentNode.textContent.trim())) stray.push(walker.currentNode.textContent);
return stray;
"""


def go(browser, site: Site, route: str, page: str | None = None):
    browser.get(site.url(route))
    return ready(browser, page or route.split("/")[0].split("?")[0])


def click_nav(browser, label: str, page: str):
    browser.find_element(By.LINK_TEXT, label).click()
    return ready(browser, page)


def submit(form) -> None:
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def confirm_dialog(browser) -> str:
    """The open dialog's message, after clicking its OK."""
    dialog = wait(browser).until(seen.visibility_of_element_located((By.ID, "dialog")))
    message = dialog.find_element(By.ID, "dialog-message").text
    dialog.find_element(By.TAG_NAME, "button").click()
    wait(browser).until(seen.invisibility_of_element(dialog))
    return message


def card_names(root) -> list[str]:
    return [card.find_element(By.CLASS_NAME, "name").text for card in root.find_elements(By.CLASS_NAME, "card")]


def reasons(root) -> list[str]:
    return [element.text for element in root.find_elements(By.CLASS_NAME, "reason")]


def fill(form, values: dict[str, str], browser) -> None:
    for name, value in values.items():
        field = form.find_element(By.NAME, name)
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        elif field.get_attribute("type") == "date":  # typing a date depends on the browser's locale
            browser.execute_script("arguments[0].value = arguments[1]", field, value)
        else:
            field.clear()
            field.send_keys(value)


def shown_queries(browser) -> str:
    """Open "Show query" and return what it lists."""
    details = browser.find_element(By.ID, "show-query")
    if details.get_attribute("open") is None:
        details.find_element(By.TAG_NAME, "summary").click()
    return details.find_element(By.ID, "queries").text


def assert_clean(browser) -> None:
    assert failed_requests(browser) == []
    assert console_errors(browser) == []




LOG_IN = """
mutation LogIn($nickname: String!, $password: String!) {
  logIn(nickname: $nickname, password: $password) { token user { id nickname name gender ageGroup } }
}"""

SIGN_IN_SCRIPT = """
const [query, variables, done] = arguments;
fetch('/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query, variables }) })
  .then((response) => response.json())
  .then(({ data, errors }) => {
    if (errors) return done(errors[0].message);
    localStorage.setItem('hz45.token', data.logIn.token);
    localStorage.setItem('hz45.user', JSON.stringify(data.logIn.user));
    done(null);
  }, (error) => done(String(error)));
"""


def sign_in(browser, nickname: str, password: str) -> None:
    """Log in through the API, keeping the session where the client keeps it (the log-in page
    itself is tested apart); the browser must be on the site."""
    problem = browser.execute_async_script(SIGN_IN_SCRIPT, LOG_IN, {"nickname": nickname, "password": password})
    assert problem is None, problem
