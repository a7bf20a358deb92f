"""similar_users: each listener's neighbours over the recent window, stored idempotently."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from domain.columns import utcnow
from domain.listeners.tables import SimilarUser
from jobs.similar_users import similar_users
from tests.support.activity import add_plays, seed_activity


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _rows(engine) -> list[tuple]:
    table = SimilarUser.__table__
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(table.c.user_id, table.c.rank, table.c.neighbour_id, table.c.similarity)
            .order_by(table.c.user_id, table.c.rank))]


def seed_neighbours(engine):
    """ana and bo play t1 and t2 alike; cy plays t1 once and t5 a lot; an old play is ignored."""
    (t1, t2, t3, t4, t5), (ana, bo, cy) = seed_activity(engine)
    now = utcnow() - timedelta(hours=1)
    add_plays(engine, [(ana, t1, now)] * 2 + [(ana, t2, now), (bo, t1, now), (bo, t2, now), (bo, t3, now)]
              + [(cy, t1, now)] + [(cy, t5, now)] * 3
              + [(cy, t2, now - timedelta(days=200))])  # outside the 90-day window
    return (t1, t2, t3, t4, t5), (ana, bo, cy)


def test_job_stores_each_listeners_neighbours(db_engine):
    _, (ana, bo, cy) = seed_neighbours(db_engine)
    report = similar_users(database_url=_url(db_engine))
    rows = _rows(db_engine)
    assert [(u, rank, n) for u, rank, n, _ in rows] == [
        (ana, 1, bo), (ana, 2, cy), (bo, 1, ana), (bo, 2, cy), (cy, 1, ana), (cy, 2, bo)]
    sims = {(u, n): s for u, _, n, s in rows}
    # ana (2, 1, 0, 0, 0), bo (1, 1, 1, 0, 0), cy (1, 0, 0, 0, 3)
    assert abs(sims[ana, bo] - 3 / (5 ** 0.5 * 3 ** 0.5)) < 1e-9
    assert abs(sims[ana, cy] - 2 / (5 ** 0.5 * 10 ** 0.5)) < 1e-9
    assert sims[ana, bo] == sims[bo, ana]
    assert report["users"] == 3 and report["rows"] == 6


def test_job_is_idempotent_and_replaces_old_rows(db_engine):
    (t1, *_), (ana, bo, cy) = seed_neighbours(db_engine)
    url = _url(db_engine)
    similar_users(database_url=url)
    first = _rows(db_engine)
    similar_users(database_url=url)
    assert _rows(db_engine) == first
    # every play leaves the window: the previous rows are gone
    with db_engine.begin() as conn:
        conn.execute(sa.update(sa.table("play_event", sa.column("played_at")))
                     .values(played_at=utcnow() - timedelta(days=100)))
    assert similar_users(database_url=url)["rows"] == 0
    assert _rows(db_engine) == []


def test_job_without_plays_stores_nothing(db_engine):
    seed_activity(db_engine)
    assert similar_users(database_url=_url(db_engine))["rows"] == 0
    assert _rows(db_engine) == []
