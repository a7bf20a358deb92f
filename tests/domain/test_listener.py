"""The listener read at query time (domain/recommendations/user_context.py) against a
brute-force computation over every stored row, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlmodel import Session, select

from domain.accounts.tables import User
from domain.db import create_db_engine
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from domain.recommendations import user_context as data
from engines.feedback import confidence
from jobs.demo_data import seed_demo
from tests.support.demo import SMALL_DEMO

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def brute_force(session: Session, user: User, window_days: int):
    plays = session.exec(select(PlayEvent).where(PlayEvent.user_id == user.id)).all()
    items = session.exec(select(PlaylistItem).join(Playlist).where(Playlist.user_id == user.id)).all()
    since = NOW - timedelta(days=window_days)
    in_window = Counter(p.track_id for p in plays if p.played_at >= since)
    last = {}
    for p in plays:
        last[p.track_id] = max(last.get(p.track_id, p.played_at), p.played_at)
    recent = sorted(in_window, key=lambda t: (-in_window[t], -last[t].timestamp()))[:data.RECENT_SEEDS]
    counts = Counter(p.track_id for p in plays)
    latest_rating = {}
    for item in sorted(items, key=lambda i: (i.added_at, i.id)):
        latest_rating[item.track_id] = float(item.rating)
    played_first = sorted(counts, key=lambda t: -last[t].timestamp())
    rated_first = sorted(latest_rating, key=lambda t: -max(i.added_at.timestamp() for i in items if i.track_id == t))
    ids = list(dict.fromkeys([*played_first, *rated_first]))
    weights = confidence(np.array([float(counts.get(i, 0)) for i in ids]),
                         np.array([latest_rating.get(i, np.nan) for i in ids]))
    return recent, dict(zip(ids, weights)), {i.track_id for i in items}, last


def test_listener_equals_a_brute_force_over_every_row(db_url):
    engine = create_db_engine(db_url)
    seed_demo(engine, SMALL_DEMO, now=NOW)
    with Session(engine) as session:
        users = session.exec(select(User).order_by(User.id).limit(25)).all()
        checked = 0
        for user in users:
            got = data.listener(session, user, 7, seed_ids=(3,), now=NOW)
            recent, weights, rated, last = brute_force(session, user, 7)
            assert list(got.context.recent_item_ids) == recent
            assert dict(zip(got.context.history_item_ids, got.context.history_weights)) == weights
            assert set(got.context.history_item_ids) == set(weights)
            assert got.context.seed_item_ids == (3,)
            assert got.rated == rated
            assert got.played == last
            assert data.played_since(got.played, 2, now=NOW) == {t for t, at in last.items() if at >= NOW - timedelta(days=2)}
            checked += bool(recent) and bool(rated)
    engine.dispose()
    assert checked >= 10  # most listeners have recent plays and ratings
