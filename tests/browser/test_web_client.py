"""The reference web client at / in a real browser, on a small demo catalog with cheap trained engines.

A new listener signs up (the API's password violations shown per rule), searches, browses a
genre page by page, rates a track into the playlist and out again (with the confirmation
dialogs), plays it, sees the realtime chart count the play live (chartUpdated), and gets a
recommendation with its reason; a listener with a history logs in and sees their statistics.
Every page is screenshotted; no page may log a console error or fail a request.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select

from domain.accounts.age_groups import age_group
from jobs.charts import aggregate_charts
from tests.browser.web_client import (
    LISTENER_PASSWORD,
    assert_clean,
    card_names,
    click_nav,
    confirm_dialog,
    fill,
    go,
    ready,
    reasons,
    shown_queries,
    sign_in,
    submit,
    wait,
)
from tests.support.browser import save_page_screenshot

pytestmark = pytest.mark.browser
NEW_LISTENER = {"nickname": "haneul", "name": "Kim Haneul", "birthDate": "1999-03-15", "gender": "FEMALE"}
GOOD_PASSWORD = "violet-hour-at-dawn"
SEARCH = "midnight"
PLAYS = 3


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
    # Not yet among the listeners the daily job compared.
    assert main.find_element(By.ID, "similar-listeners").text.startswith("Listen a little more")

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


def test_my_statistics_over_named_ranges(site, signed_out):
    browser = signed_out
    sign_in(browser, site.listener, LISTENER_PASSWORD)
    page = go(browser, site, "my-stats")
    page.find_element(By.CSS_SELECTOR, "#range-picker [data-value=ALL_TIME]").click()
    page = in_range(browser, "ALL_TIME")
    # Every play of theirs, counted by the rollups (in their time zone, UTC), drawn per year.
    assert page.find_element(By.ID, "my-totals").text.startswith(f"{site.listener_plays} plays, ")
    activity, genres = drawn_chart_totals(browser)
    assert activity == site.listener_plays and 0 < genres <= site.listener_plays
    top = [int(row.find_elements(By.TAG_NAME, "td")[1].text) for row in page.find_elements(By.CSS_SELECTOR, ".panel tbody tr")]
    assert top and max(top) <= site.listener_plays
    save_page_screenshot(browser, "web-my-listening")

    page.find_element(By.CSS_SELECTOR, "#range-picker [data-value=THIS_WEEK]").click()
    page = in_range(browser, "THIS_WEEK")
    assert '"range": "THIS_WEEK"' in shown_queries(browser)
    week = int(page.find_element(By.ID, "my-totals").text.split()[0])
    assert 0 <= week <= site.listener_plays and drawn_chart_totals(browser)[0] == week
    assert_clean(browser)


def in_range(browser, stats_range: str):
    """The statistics page once it shows ``stats_range``."""
    wait(browser).until(seen.presence_of_element_located(
        (By.CSS_SELECTOR, f"[data-page='my-stats'][data-state='ready'][data-range='{stats_range}']")))
    return ready(browser, "my-stats")


def drawn_chart_totals(browser) -> list[float]:
    """The sum of each Chart.js chart's data on the page, in page order."""
    return browser.execute_script("""
        return [...document.querySelectorAll('canvas')].map((canvas) =>
            window.Chart.getChart(canvas).data.datasets[0].data.reduce((a, b) => a + b, 0));""")

