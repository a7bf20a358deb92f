"""The reference web client at / in a real browser, on a small demo catalog with cheap trained engines.

A new listener signs up (the API's password violations shown per rule), searches, browses a
genre page by page, rates a track into the playlist and out again (with the confirmation
dialogs), plays it, sees the realtime chart count the play live (chartUpdated), and gets a
recommendation with its reason; a listener with a history logs in and sees their statistics.
Every page is screenshotted; no page may log a console error or fail a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlmodel import Session

from api.app import create_app
from domain.accounts.age_groups import age_group
from domain.accounts.tables import User
from domain.accounts.users import set_password
from domain.catalog.tables import Track
from domain.charts.tables import ChartTop50
from domain.plays.tables import PlayEvent
from domain.settings import AuthSettings, EngineWeight, RecommenderSettings
from jobs.charts import aggregate_charts
from jobs.retrain import train_engines
from jobs.stats import aggregate_overall_stats, aggregate_user_stats
from tests.support.accounts import FAST_AUTH
from tests.support.browser import clear_logs, console_errors, failed_requests, save_page_screenshot, serve
from tests.support.demo import small_demo_database
from tests.support.settings import make_settings

pytestmark = pytest.mark.browser
WAIT_SECONDS = 20
# Cheap engines; content first, so that a play shows up at once as "because you played …".
MIX = {"content_gmm": 2.0, "demographic_popular": 1.0, "svd": 1.0}
LISTENER_PASSWORD = "steady-listener-45"
NEW_LISTENER = {"nickname": "haneul", "name": "Kim Haneul", "birthDate": "1999-03-15", "gender": "FEMALE"}
GOOD_PASSWORD = "violet-hour-at-dawn"
SEARCH = "midnight"
PLAYS = 3


@pytest.fixture(scope="module")
def site(chrome, tmp_path_factory, sqlite_template):
    """The app on the small demo, engines trained, charts and stats counted; jobs publish in-process.

    Asks for ``chrome`` first, so that without Chromium the tests skip before any set-up.
    """
    directory = tmp_path_factory.mktemp("web-client")
    url, engine = small_demo_database(directory, sqlite_template)
    settings = make_settings(url, directory, auth=AuthSettings(**FAST_AUTH), recommenders=RecommenderSettings(
        default_mix=[EngineWeight(engine=name, weight=weight) for name, weight in MIX.items()]))
    with pytest.MonkeyPatch.context() as env:
        # The jobs read their settings from the environment: keep their updates in this process.
        for name in ("REDIS_URL", "HZ45_REDIS_URL", "HZ45_CONFIG"):
            env.delenv(name, raising=False)
        train_engines(list(MIX), settings=settings, db_engine=engine)
        count_everything(url)
        listener = listener_with_history(engine, settings.auth)
        top50_of_today(engine)
        with serve(create_app(settings)) as base_url:
            yield Site(base_url, url, listener)
    engine.dispose()


@dataclass(frozen=True)
class Site:
    """The served app: its URL, database and the nickname of a listener with a history."""

    base_url: str
    database_url: str
    listener: str

    def url(self, route: str) -> str:
        return f"{self.base_url}/#/{route}"


def count_everything(url: str) -> None:
    """The aggregations the schedule runs: charts, today's overall stats, each past day's user stats."""
    aggregate_charts(database_url=url)
    aggregate_overall_stats(database_url=url)
    today = datetime.now(UTC).date()
    for days_ago in range(1, 6):
        aggregate_user_stats(day=(today - timedelta(days=days_ago)).isoformat(), database_url=url)


def listener_with_history(engine, auth: AuthSettings) -> str:
    """The demo listener with the most plays, given a password; returns the nickname."""
    with Session(engine) as session:
        user_id = session.exec(sa.select(PlayEvent.user_id).group_by(PlayEvent.user_id)
                               .order_by(sa.func.count().desc(), PlayEvent.user_id).limit(1)).scalar_one()
        user = session.get(User, user_id)
        set_password(session, user, LISTENER_PASSWORD, auth)
        session.commit()
        return user.nickname


def top50_of_today(engine) -> None:
    """A Top 50 of the 20 most popular tracks, as the daily import would store it."""
    with Session(engine) as session:
        ids = session.exec(sa.select(Track.id).order_by(Track.popularity.desc(), Track.id).limit(20)).scalars().all()
        today = datetime.now(UTC).date()
        session.add_all(ChartTop50(chart_date=today, rank=rank, track_id=track_id, source_playlist="demo")
                        for rank, track_id in enumerate(ids, 1))
        session.commit()


@pytest.fixture
def signed_out(site, browser):
    """The browser with no session of the client (its token lives in localStorage) and empty logs."""
    browser.get(site.base_url + "/healthz")
    browser.execute_script("localStorage.clear()")
    clear_logs(browser)
    return browser


# -- driving the pages ----------------------------------------------------------------------

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


def realtime_plays(browser, track_name: str) -> int:
    """The plays the realtime chart shows for ``track_name`` (0 when it is not listed)."""
    for row in browser.find_elements(By.CSS_SELECTOR, "#realtime tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        if cells[2].text == track_name:
            return int(cells[3].text)
    return 0


# -- the tests ------------------------------------------------------------------------------

def test_home_lists_the_genres_and_the_ways_in(site, signed_out):
    browser = signed_out
    page = go(browser, site, "", "home")
    # Looked up from the document each time: a re-render replaces the page element.
    genre_links = "[data-page='home'][data-state='ready'] a[href^='#/search?genre=']"
    wait(browser).until(lambda _: len(browser.find_elements(By.CSS_SELECTOR, genre_links)) == 10)
    page = ready(browser, "home")
    assert {link.text for link in page.find_elements(By.CLASS_NAME, "button")} >= {"Sign up", "Log in"}
    save_page_screenshot(browser, "web-home")
    assert_clean(browser)


def test_a_stale_token_leads_to_the_log_in_page(site, signed_out):
    browser = signed_out
    browser.execute_script("localStorage.setItem('hz45.token', 'revoked-long-ago')")
    go(browser, site, "main", "login")
    assert browser.execute_script("return localStorage.getItem('hz45.token')") is None
    assert_clean(browser)


def test_a_new_listener_signs_up_finds_rates_and_plays_a_track(site, signed_out):
    browser = signed_out
    # Sign-up: a numeric, common password breaks exactly those two rules, each marked.
    page = go(browser, site, "signup")
    form = page.find_element(By.TAG_NAME, "form")
    fill(form, {**NEW_LISTENER, "password": "12345678", "passwordConfirmation": "12345678"}, browser)
    submit(form)
    wait(browser).until(lambda _: form.find_elements(By.CSS_SELECTOR, ".rules li.broken"))
    broken = {item.get_attribute("data-rule") for item in form.find_elements(By.CSS_SELECTOR, ".rules li.broken")}
    assert broken == {"ENTIRELY_NUMERIC", "TOO_COMMON"}
    assert form.find_element(By.CSS_SELECTOR, ".rules li[data-rule=TOO_COMMON]").get_attribute("title") \
        == "This password is too common."  # the API's message
    # A taken nickname is written under its field.
    fill(form, {"nickname": site.listener, "password": GOOD_PASSWORD, "passwordConfirmation": GOOD_PASSWORD}, browser)
    submit(form)
    taken = wait(browser).until(lambda _: form.find_elements(By.CSS_SELECTOR, "[data-field=nickname] .problems li"))
    assert [item.get_attribute("data-rule") for item in taken] == ["TAKEN"]
    assert not form.find_elements(By.CSS_SELECTOR, ".rules li.broken")
    fill(form, {"nickname": NEW_LISTENER["nickname"], "password": "12345678", "passwordConfirmation": "12345678"}, browser)
    submit(form)
    wait(browser).until(lambda _: form.find_elements(By.CSS_SELECTOR, ".rules li.broken"))
    save_page_screenshot(browser, "web-signup")
    fill(form, {"password": GOOD_PASSWORD, "passwordConfirmation": GOOD_PASSWORD}, browser)
    submit(form)
    main = ready(browser, "main")
    assert browser.find_element(By.ID, "signed-in-as").text == NEW_LISTENER["nickname"]
    first_reasons = reasons(main.find_element(By.ID, "recommended"))
    assert len(first_reasons) == 8 and all(first_reasons)

    # Search: every result matches the word; the first one opens its track page.
    page = click_nav(browser, "Search", "search")
    form = page.find_element(By.ID, "search-form")
    fill(form, {"q": SEARCH}, browser)
    submit(form)
    results = wait(browser).until(seen.presence_of_element_located((By.CSS_SELECTOR, "[data-state=ready] #results")))
    cards = results.find_elements(By.CLASS_NAME, "card")
    assert cards and all(SEARCH in card.text.lower() for card in cards)
    save_page_screenshot(browser, "web-search")
    track_name = card_names(results)[0]
    cards[0].click()

    # Track page: facts, the rating dialog, add with 4 stars, remove, add with 5 stars.
    page = ready(browser, "track")
    assert page.find_element(By.ID, "track-name").text == track_name
    assert page.find_element(By.ID, "popularity").text.isdigit()
    assert page.find_element(By.ID, "release-date").text
    assert page.find_element(By.ID, "genre").text
    page.find_element(By.ID, "add-to-playlist").click()
    assert confirm_dialog(browser) == "Choose a star rating."
    rate(browser, 4)
    assert "4" in page.find_element(By.ID, "my-rating").text
    save_page_screenshot(browser, "web-track")
    page.find_element(By.ID, "remove-from-playlist").click()
    assert confirm_dialog(browser) == "Removed from your playlist."
    rate(browser, 5)

    # Play it (3 times, so it ranks among the realtime chart's 50 tracks): the chart counts the
    # plays when the aggregation runs, without a reload.
    for played in range(1, PLAYS + 1):
        browser.find_element(By.ID, "play").click()
        wait(browser).until(seen.text_to_be_present_in_element((By.ID, "play-status"), f"Played {played}×"))
    page = click_nav(browser, "4.5Hz chart", "chart")
    panel = page.find_element(By.ID, "realtime-panel")
    assert panel.get_attribute("data-updates") == "1"
    before = realtime_plays(browser, track_name)
    aggregate_charts(database_url=site.database_url)
    wait(browser).until(lambda _: panel.get_attribute("data-updates") == "2")
    assert realtime_plays(browser, track_name) == before + PLAYS
    choose_an_hour(browser)
    save_page_screenshot(browser, "web-chart")

    # The playlist holds the track with its 5 stars.
    page = click_nav(browser, "My playlists", "playlists")
    rows = page.find_elements(By.CSS_SELECTOR, ".playlist tbody tr")
    assert [(row.find_element(By.TAG_NAME, "a").text, row.find_element(By.CLASS_NAME, "stars").text) for row in rows] \
        == [(track_name, "★★★★★")]
    save_page_screenshot(browser, "web-playlists")

    # Recommendations say why: the content engine names the track just played.
    page = click_nav(browser, "Main", "main")
    assert f"because you played {track_name}" in reasons(page.find_element(By.ID, "recommended"))
    assert "recommendations(k: 8)" in shown_queries(browser)
    save_page_screenshot(browser, "web-main-show-query")
    page = click_nav(browser, "For you", "discover")
    group = age_group(date.fromisoformat(NEW_LISTENER["birthDate"]), datetime.now(UTC).date())
    assert page.find_element(By.XPATH, ".//h2[starts-with(., 'Hottest for')]").text == f"Hottest for women in their {group}s"
    hottest = reasons(page.find_element(By.ID, "hottest"))
    assert hottest and set(hottest) == {f"popular with women in their {group}s"}
    assert card_names(page.find_element(By.ID, "discoveries"))
    assert_clean(browser)


def rate(browser, stars: int) -> None:
    """Pick ``stars`` on the track page, add it to the playlist, confirm the dialog."""
    # After a removal the page renders again: wait for the new picker.
    wait(browser).until(seen.element_to_be_clickable((By.CSS_SELECTOR, f"#star-picker button[data-rating='{stars}']"))).click()
    browser.find_element(By.ID, "add-to-playlist").click()
    assert confirm_dialog(browser) == "Added to your playlist."
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "my-rating"), str(stars)))


def choose_an_hour(browser) -> None:
    """Show the latest hourly chart of the hour picker."""
    picker = browser.find_element(By.ID, "hour-picker")
    Select(picker.find_element(By.TAG_NAME, "select")).select_by_index(0)
    picker.find_element(By.TAG_NAME, "button").click()
    hourly = wait(browser).until(seen.presence_of_element_located((By.CSS_SELECTOR, "#hourly tbody tr")))
    assert hourly.find_elements(By.TAG_NAME, "td")[0].text == "1"


def test_genre_browse_pages_forward_and_back(site, signed_out):
    browser = signed_out
    page = go(browser, site, "search")
    form = page.find_element(By.ID, "genre-form")
    Select(form.find_element(By.TAG_NAME, "select")).select_by_index(1)  # the largest genre
    form.find_element(By.TAG_NAME, "button").click()
    results = wait(browser).until(seen.presence_of_element_located((By.CSS_SELECTOR, "[data-state=ready] #results")))
    first = card_names(results)
    browser.find_element(By.ID, "next-page").click()
    wait(browser).until(seen.text_to_be_present_in_element((By.CSS_SELECTOR, "#results h2"), "page 2"))
    second = card_names(browser.find_element(By.ID, "results"))
    assert len(first) == 12 and second and not set(first) & set(second)
    browser.find_element(By.ID, "previous-page").click()
    wait(browser).until(seen.text_to_be_present_in_element((By.CSS_SELECTOR, "#results h2"), "page 1"))
    assert card_names(browser.find_element(By.ID, "results")) == first
    assert "tracks(search: $search, genre: $genre, first: $first, after: $after)" in shown_queries(browser)
    assert_clean(browser)


def test_a_listener_logs_in_and_sees_the_statistics(site, signed_out):
    browser = signed_out
    page = go(browser, site, "login")
    form = page.find_element(By.TAG_NAME, "form")
    fill(form, {"nickname": site.listener, "password": "not-the-password"}, browser)
    submit(form)
    wait(browser).until(seen.text_to_be_present_in_element((By.CSS_SELECTOR, "form .error"), "Wrong nickname or password"))
    fill(form, {"password": LISTENER_PASSWORD}, browser)
    submit(form)
    page = ready(browser, "main")
    assert page.find_elements(By.CSS_SELECTOR, "table tbody tr")  # their top tracks
    save_page_screenshot(browser, "web-main")

    # The deck's SVD finds them new tracks (the new listener above was unknown to it: a fallback).
    page = click_nav(browser, "For you", "discover")
    assert set(reasons(page.find_element(By.ID, "discoveries"))) == {"a new discovery picked for your ratings"}
    save_page_screenshot(browser, "web-for-you")

    page = click_nav(browser, "My statistics", "my-stats")
    plays = int(page.find_element(By.ID, "my-totals").text.split()[0])
    weekdays, hours, genres = drawn_chart_totals(browser)
    assert plays > 0 and weekdays == hours == plays and 0 < genres <= plays
    save_page_screenshot(browser, "web-my-stats")

    page = click_nav(browser, "Statistics", "stats")
    assert page.find_element(By.ID, "active-users").text.isdigit()
    assert len(page.find_elements(By.TAG_NAME, "canvas")) == 3
    save_page_screenshot(browser, "web-stats")

    page = click_nav(browser, "Top 50", "top50")
    assert len(page.find_elements(By.CSS_SELECTOR, "tbody tr")) == 20
    save_page_screenshot(browser, "web-top50")
    assert_clean(browser)


def drawn_chart_totals(browser) -> list[float]:
    """The sum of each Chart.js chart's data on the page, in page order."""
    return browser.execute_script("""
        return [...document.querySelectorAll('canvas')].map((canvas) =>
            window.Chart.getChart(canvas).data.datasets[0].data.reduce((a, b) => a + b, 0));""")

