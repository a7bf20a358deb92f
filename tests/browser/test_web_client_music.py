"""The web client's music features in a real browser, on the shared demo site (see web_client.py).

A listener with a history starts a radio from a track page (and from its artist), reads each
track's reason, engine, tempo and energy and the tempo chart, switches the adventurousness
(the radio is asked again), plays a radio track (logged as the radio's recommendation); sees
the generated Daily Mix read-only in their playlists; and the listeners most like them on the
main page. Before any engine is trained, the radio says it is warming up.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen

from domain.catalog.tables import Track
from domain.db import create_db_engine
from domain.plays.tables import PlayEvent
from tests.browser.web_client import LISTENER_PASSWORD, assert_clean, go, ready, shown_queries, sign_in, wait
from tests.support.accounts import user_with_token
from tests.support.browser import save_page_screenshot
from tests.support.catalog import load_known_catalog

pytestmark = pytest.mark.browser
SEED_TRACK = "1"


@pytest.fixture
def listener(site, signed_out):
    """The browser signed in as the demo listener with a history."""
    sign_in(signed_out, site.listener, LISTENER_PASSWORD)
    return signed_out


def radio_rows(page) -> list[dict[str, str]]:
    """The radio's table as dicts of its cells (title, artist, reason, engine, tempo, energy)."""
    rows = []
    for row in page.find_elements(By.CSS_SELECTOR, "#radio-list tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        rows.append({"title": cells[1].text, "artist": cells[2].text, "reason": cells[3].text,
                     "engine": cells[4].text, "tempo": cells[5].text, "energy": cells[6].text})
    return rows


def drawn_tempos(browser) -> list[float]:
    return browser.execute_script(
        "return window.Chart.getChart(document.querySelector('[data-page=radio] canvas')).data.datasets[0].data;")


def radio_at(browser, level: str):
    """The radio page once it shows the list of ``level``."""
    return wait(browser).until(seen.presence_of_element_located(
        (By.CSS_SELECTOR, f"[data-page='radio'][data-state='ready'][data-level='{level}']")))


def test_a_radio_from_a_track_page_lists_tracks_and_switches_level(site, listener):
    browser = listener
    page = go(browser, site, f"track/{SEED_TRACK}", "track")
    seed_name = page.find_element(By.ID, "track-name").text
    page.find_element(By.ID, "start-radio").click()
    page = radio_at(browser, "MEDIUM")
    ready(browser, "radio")
    rows = radio_rows(page)
    assert len(rows) > 5
    assert (rows[0]["title"], rows[0]["engine"]) == (seed_name, "seed")
    assert all(row["reason"] and row["engine"] for row in rows)
    assert {row["engine"] for row in rows[1:]} <= {"content_gmm", "svd", "demographic_popular"}
    assert all(0 <= float(row["energy"]) <= 1 for row in rows)
    # The chart draws the tempos of the list, in its order.
    assert [f"{tempo:.1f}" for tempo in drawn_tempos(browser)] == [row["tempo"] for row in rows]
    assert "radio:medium" in page.text
    save_page_screenshot(browser, "web-radio")

    # Adventurous: asked again with the level; no other track by the seed's artist.
    page.find_element(By.CSS_SELECTOR, "#level-picker [data-value=HIGH]").click()
    page = radio_at(browser, "HIGH")
    assert '"level": "HIGH"' in shown_queries(browser)
    assert "radio:high" in page.text
    high = radio_rows(page)
    seed_artist = high[0]["artist"].split(", ")[0]
    assert len(high) > 1 and all(row["artist"].split(", ")[0] != seed_artist for row in high[1:])

    # A play from the radio is the radio's recommendation; its title links on with the same source.
    row = page.find_elements(By.CSS_SELECTOR, "#radio-list tbody tr")[1]
    assert "source=recommendation%3Aradio%3Ahigh" in row.find_element(By.TAG_NAME, "a").get_attribute("href")
    started = datetime.now(UTC).replace(microsecond=0)
    row.find_element(By.CLASS_NAME, "play").click()
    wait(browser).until(lambda _: row.find_element(By.CLASS_NAME, "play").text == "✓ Played")
    assert plays_since(site.database_url, started) == [(high[1]["title"], "recommendation:radio:high")]
    assert_clean(browser)


def plays_since(database_url: str, since: datetime) -> list[tuple[str, str]]:
    """(track name, source) of the plays recorded at or after ``since``."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(
                sa.select(Track.name, PlayEvent.source).join(Track, Track.id == PlayEvent.track_id)
                .where(PlayEvent.played_at >= since).order_by(PlayEvent.played_at))]
    finally:
        engine.dispose()


def test_an_artist_radio_starts_from_the_track_page(site, listener):
    browser = listener
    page = go(browser, site, f"track/{SEED_TRACK}", "track")
    artist = page.find_element(By.ID, "start-artist-radio")
    name = artist.text.removeprefix("Start ").removesuffix(" radio")
    artist.click()
    page = radio_at(browser, "MEDIUM")
    assert page.find_element(By.ID, "radio-seed").text == f"Radio from {name}"
    rows = radio_rows(page)
    assert rows[0]["engine"] == "seed" and name in rows[0]["artist"].split(", ")
    assert "seedArtistId: $artist" in shown_queries(browser)
    assert_clean(browser)


def test_the_daily_mix_is_shown_read_only(site, listener):
    browser = listener
    page = go(browser, site, "playlists")
    mixes = page.find_elements(By.CSS_SELECTOR, ".playlist[data-kind=DAILY_MIX]")
    assert len(mixes) == 1
    mix = mixes[0]
    heading = mix.find_element(By.TAG_NAME, "h2").text
    today = datetime.now(UTC).date().isoformat()
    assert heading.startswith("Daily Mix") and "made for you" in heading and f"for the day {today}" in heading
    rows = mix.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) > 10
    assert [row.find_element(By.TAG_NAME, "td").text for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert mix.find_elements(By.TAG_NAME, "button") == [] and mix.find_elements(By.CLASS_NAME, "stars") == []
    # The listener's own playlists keep their buttons.
    own = page.find_elements(By.CSS_SELECTOR, ".playlist[data-kind=USER] tbody tr")
    assert all(row.find_elements(By.TAG_NAME, "button") for row in own)
    save_page_screenshot(browser, "web-playlists-generated")
    assert_clean(browser)


def test_listeners_like_me_on_the_main_page(site, listener):
    browser = listener
    page = go(browser, site, "main")
    rows = page.find_elements(By.CSS_SELECTOR, "#similar-listeners tbody tr")
    assert 1 <= len(rows) <= 5
    cells = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    assert all(nickname and nickname != site.listener for nickname, _, _ in cells)
    similarities = [int(similarity.removesuffix("%")) for _, similarity, _ in cells]
    assert similarities == sorted(similarities, reverse=True) and all(0 < s <= 100 for s in similarities)
    assert all(shared for _, _, shared in cells)
    assert "similarUsers(k: 5)" in shown_queries(browser)
    assert_clean(browser)


def test_the_radio_is_warming_up_before_any_engine_is_trained(live_app, browser):
    engine = create_db_engine(live_app.settings.database_url)
    load_known_catalog(engine)
    _, token = user_with_token(engine, "early")
    track_id = engine.connect().execute(sa.select(sa.func.min(Track.id))).scalar_one()
    engine.dispose()
    browser.get(live_app.url("/#/login"))
    browser.execute_script("localStorage.setItem('hz45.token', arguments[0]);"
                           "localStorage.setItem('hz45.user', JSON.stringify({ nickname: 'early' }));", token)
    browser.get(live_app.url(f"/#/radio/track/{track_id}"))
    page = ready(browser, "radio")
    assert page.find_element(By.ID, "radio-warming-up").text.startswith("The radio is warming up")
    assert not page.find_elements(By.ID, "radio-list")
    assert_clean(browser)
