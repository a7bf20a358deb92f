"""What ``hz45 demo`` shows at start: after its preparing and first training steps, the charts,
statistics, Top 50, logins and recommendations all have data, and slow engines train later."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

import api.charts.queries
import api.stats.queries
from domain.accounts.demo_logins import DEMO_ADMIN, DEMO_USER
from domain.charts.windows import floor_hour
from domain.db import create_db_engine
from domain.jobs import queues
from domain.settings import AuthSettings
from hz45.commands import demo_steps
from jobs.demo_data import DemoConfig
from tests.support.accounts import FAST_AUTH, LOG_IN
from tests.support.graphql import graphql_client
from tests.support.settings import make_settings

SMALL = DemoConfig(tracks=400, artists=50, users=150, plays_per_user=(10, 30), demo_listener=True)
SPOTIFY_KEYS = ("CLIENT_ID", "CLIENT_SECRET", "API_PREFIX", "AUTH_URL", "TOP50_PLAYLIST_ID")
NOW = datetime.now(UTC).replace(microsecond=0)


def _no_configured_services(patch: pytest.MonkeyPatch) -> None:
    """No Spotify credentials, Redis or config file, and every variable the demo sets undone later."""
    for key in SPOTIFY_KEYS:
        patch.setenv(f"HZ45_SPOTIFY__{key}", "")  # recorded, so the value the demo sets is removed after
        patch.delenv(f"HZ45_SPOTIFY__{key}")
    for name in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "REDIS_URL", "HZ45_CONFIG"):
        patch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, sqlite_template):
    """A demo database after prepare_demo and train_for_demo, with what they printed and queued."""
    folder = tmp_path_factory.mktemp("demo")
    shutil.copy(sqlite_template, folder / "demo.db")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = create_db_engine(url)
    lines, queued = [], []
    with pytest.MonkeyPatch.context() as patch:
        _no_configured_services(patch)
        patch.setattr(queues, "enqueue", lambda path, settings, **kwargs: queued.append((path, kwargs))
                      or SimpleNamespace(id=f"job-{len(queued)}"))
        settings = make_settings(url, folder, auth=AuthSettings(**FAST_AUTH))
        settings = demo_steps.prepare_demo(settings, engine, echo=lines.append, config=SMALL, now=NOW)
        background = demo_steps.train_for_demo(settings, engine, echo=lines.append)
    yield SimpleNamespace(url=url, engine=engine, settings=settings, lines=lines, queued=queued,
                          background=background, folder=folder)
    engine.dispose()


@pytest.fixture
def client(demo, monkeypatch):
    """A client of the demo's app whose clock reads the demo's start time."""
    for module in (api.charts.queries, api.stats.queries):
        monkeypatch.setattr(module, "utcnow", lambda: NOW)
    with graphql_client(demo.settings) as gql:
        yield gql


def test_every_step_announces_itself(demo):
    text = "\n".join(demo.lines)
    for step in ("generating the demo data", "importing today's Top 50 from a local fake of the Spotify Web API",
                 "bringing the listening history's charts and statistics up to date", "before serving",
                 "training in the background"):
        assert step in text, text


def test_charts_have_data_at_start(client):
    chart = client.gql("{ chart(kind: REALTIME) { windowStart entries { rank plays } } }")["data"]["chart"]
    assert chart["windowStart"] == floor_hour(NOW).isoformat() and chart["entries"]
    yesterday = (NOW - timedelta(days=1)).isoformat()
    hourly = client.gql("query($at: DateTime) { chart(kind: HOURLY, at: $at) { entries { plays } } }", at=yesterday)
    assert hourly["data"]["chart"]["entries"]
    windows = client.gql("query($from: DateTime!, $to: DateTime!) { chartWindows(from: $from, to: $to) { plays } }",
                         **{"from": (NOW - timedelta(days=5)).isoformat(), "to": (NOW + timedelta(hours=1)).isoformat()})
    assert len(windows["data"]["chartWindows"]) >= 24 * SMALL.days_of_plays - 2


def test_the_top50_comes_from_the_local_fake_spotify(client):
    top = client.gql("{ chart(kind: TOP50) { day entries { rank track { name } } } }")["data"]["chart"]
    assert top["day"] == NOW.date().isoformat() and len(top["entries"]) == 50


def test_overall_stats_of_every_seeded_day(client):
    for back in range(SMALL.days_of_plays + 1):
        day = (NOW - timedelta(days=back)).date().isoformat()
        stats = client.gql("query($day: Date) { overallStats(day: $day) { plays users } }", day=day)
        assert stats["data"]["overallStats"]["plays"] > 0, day


def test_the_demo_login_signs_in_and_has_a_history_and_recommendations(client):
    for login in (DEMO_USER, DEMO_ADMIN):
        body = client.gql(LOG_IN, nickname=login.nickname, password=login.password)
        assert body["data"]["logIn"]["user"]["nickname"] == login.nickname
    token = client.gql(LOG_IN, nickname=DEMO_USER.nickname, password=DEMO_USER.password)["data"]["logIn"]["token"]
    mine = client.gql("query($from: Date!, $to: Date!) { myStats(from: $from, to: $to) { plays daysActive } }",
                      token=token, **{"from": (NOW - timedelta(days=7)).date().isoformat(),
                                      "to": NOW.date().isoformat()})["data"]["myStats"]
    assert mine["plays"] > 0 and mine["daysActive"] >= SMALL.days_of_plays
    recommended = client.gql("{ recommendations(k: 10) { items { reason } } }", token=token)
    assert len(recommended["data"]["recommendations"]["items"]) == 10


def test_quick_engines_serve_at_start_and_the_others_are_queued(client, demo):
    quick = [n for n, s in demo_steps.TRAINING_SECONDS.items() if s <= demo_steps.QUICK_SECONDS]
    statuses = {e["name"]: e["status"] for e in client.gql("{ engines { name status } }")["data"]["engines"]}
    assert {n for n, s in statuses.items() if s == "READY"} == set(quick)
    assert [kwargs["engine"] for path, kwargs in demo.queued if path == "jobs.retrain.retrain"] == \
        [n for n, _ in demo.background] == ["svd", "ease", "ncf", "learned"]
    similar = client.gql('{ similarTracks(trackId: "1", k: 3) { engine } }')["data"]["similarTracks"]
    assert [s["engine"] for s in similar] == ["content_gmm"] * 3


def test_a_later_start_trains_only_what_is_missing(demo):
    lines = []
    with pytest.MonkeyPatch.context() as patch:
        queued = []
        patch.setattr(queues, "enqueue", lambda path, settings, **kwargs: queued.append(kwargs.get("engine", path))
                      or SimpleNamespace(id="job"))
        demo_steps.train_for_demo(demo.settings, demo.engine, echo=lines.append)
    assert queued == [*demo_steps.GENERATED_PLAYLIST_JOBS, "svd", "ease", "ncf", "learned"]
    assert not any("before serving" in line for line in lines)  # the quick ones are trained already
