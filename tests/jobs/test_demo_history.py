"""The demo's history at every start: plays continue up to now, the current hour has plays, and the
charts and statistics of every day are computed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from domain.accounts.demo_logins import DEMO_LISTENER
from domain.accounts.tables import User
from domain.charts.tables import ChartHourly
from domain.db import create_db_engine
from domain.plays.tables import PlayEvent
from domain.stats.tables import OverallDailyStats, UserDailyStats
from jobs.demo_data import DemoConfig, seed_demo
from jobs.demo_history import LIVE_LISTENERS, catch_up_demo_history, stats_days, top_up_plays

SMALL = DemoConfig(tracks=300, artists=40, users=120, plays_per_user=(10, 30), demo_listener=True)
SEEDED = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)  # on the hour: the seeded plays leave this hour empty


@pytest.fixture
def seeded(sqlite_url, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    engine = create_db_engine(sqlite_url)
    seed_demo(engine, SMALL, now=SEEDED)
    yield sqlite_url, engine
    engine.dispose()


def count(engine, query) -> int:
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def plays_between(engine, start, end) -> int:
    return count(engine, sa.select(sa.func.count()).select_from(PlayEvent)
                 .where(PlayEvent.played_at >= start, PlayEvent.played_at < end))


def test_the_first_start_fills_the_current_hour_and_every_day(seeded):
    url, engine = seeded
    report = catch_up_demo_history(url, SEEDED.isoformat())
    assert report["plays_added"] == LIVE_LISTENERS  # only the live plays of the current hour
    assert count(engine, sa.select(sa.func.count()).select_from(ChartHourly)
                 .where(ChartHourly.window_start == SEEDED)) > 0
    days = [(SEEDED - timedelta(days=d)).date() for d in range(SMALL.days_of_plays, -1, -1)]
    assert report["stats_days"] == [d.isoformat() for d in days]
    with engine.connect() as conn:
        assert set(conn.execute(sa.select(OverallDailyStats.day)).scalars()) == set(days)
        demo_id = conn.execute(sa.select(User.id).where(User.nickname == DEMO_LISTENER.nickname)).scalar()
        demo_days = conn.execute(sa.select(UserDailyStats.day).where(UserDailyStats.user_id == demo_id)).scalars().all()
    assert len(demo_days) >= SMALL.days_of_plays


def test_a_second_start_in_the_same_hour_adds_nothing(seeded):
    url, engine = seeded
    catch_up_demo_history(url, SEEDED.isoformat())
    again = catch_up_demo_history(url, (SEEDED + timedelta(seconds=30)).isoformat())
    assert again["plays_added"] == 0
    # yesterday and today are recomputed (they may have changed), older days are kept
    assert again["stats_days"] == [(SEEDED - timedelta(days=1)).date().isoformat(), SEEDED.date().isoformat()]


def test_a_later_start_continues_the_plays_at_the_listeners_rate(seeded):
    url, engine = seeded
    catch_up_demo_history(url, SEEDED.isoformat())
    later = SEEDED + timedelta(days=2, hours=5, minutes=30)
    seeded_per_day = plays_between(engine, SEEDED - timedelta(days=SMALL.days_of_plays), SEEDED) / SMALL.days_of_plays
    report = catch_up_demo_history(url, later.isoformat())
    added_per_day = report["plays_added"] / ((later - SEEDED).total_seconds() / 86400)
    assert 0.8 * seeded_per_day < added_per_day < 1.2 * seeded_per_day
    assert plays_between(engine, floor(later), later + timedelta(seconds=1)) > 0
    assert count(engine, sa.select(sa.func.count()).select_from(ChartHourly)
                 .where(ChartHourly.window_start == floor(later))) > 0
    assert report["stats_days"][0] == SEEDED.date().isoformat()  # from the first day of new plays on
    assert report["stats_days"][-1] == later.date().isoformat()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.max(PlayEvent.played_at))).scalar() <= later


def test_a_long_pause_is_filled_for_the_last_days_only(seeded):
    _, engine = seeded
    later = SEEDED + timedelta(days=30)
    added, since = top_up_plays(engine, later, max_days=SMALL.days_of_plays, seed=SMALL.seed)
    assert added > 0 and since >= later - timedelta(days=SMALL.days_of_plays)
    assert plays_between(engine, SEEDED + timedelta(seconds=1), later - timedelta(days=SMALL.days_of_plays)) == 0


def test_stats_days_stay_within_the_lookback(seeded):
    _, engine = seeded
    today = SEEDED.date() + timedelta(days=100)
    days = stats_days(engine, today, None)
    assert days[0] == today - timedelta(days=31) and days[-1] == today


def test_an_empty_database_has_nothing_to_catch_up(sqlite_url):
    engine = create_db_engine(sqlite_url)
    assert top_up_plays(engine, SEEDED) == (0, None)
    assert stats_days(engine, date(2026, 11, 24), None) == []
    engine.dispose()


def floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
