"""aggregate_overall_stats and aggregate_user_stats: known answers, idempotent."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from domain.stats.tables import OverallDailyStats, UserDailyStats
from jobs.stats import aggregate_overall_stats, aggregate_user_stats, overall_payload
from tests.support.activity import add_plays, at, seed_activity


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _plays(engine):
    (t1, t2, t3, t4, t5), (ana, bo, cy) = seed_activity(engine)
    add_plays(engine, [
        (ana, t1, at("2024-05-01 10:00")), (ana, t1, at("2024-05-01 10:10")), (ana, t3, at("2024-05-01 22:00")),
        (bo, t3, at("2024-05-01 23:57")), (bo, t5, at("2024-05-01 23:58")),
        (cy, t2, at("2024-04-30 12:00")),  # another day
    ])
    return (t1, t2, t3, t4, t5), (ana, bo, cy)


def test_overall_stats_of_a_day(db_engine):
    (t1, t2, t3, t4, t5), _ = _plays(db_engine)
    with db_engine.connect() as conn:
        payload = overall_payload(conn, date(2024, 5, 1), at("2024-05-02 12:00"))
    assert payload["plays"] == 5
    assert payload["active_users"] == 1  # bo played in the day's last 5 minutes
    assert payload["users_by_age_group"] == [{"age_group": 20, "users": 2}, {"age_group": 30, "users": 1}]
    assert [(g["gender"], g["users"]) for g in payload["gender_ratio"]] == [("FEMALE", 2), ("MALE", 1)]
    assert payload["plays_by_genre"] == [{"genre": "pop", "plays": 2}, {"genre": "rock", "plays": 2},
                                         {"genre": "k-pop", "plays": 1}]
    assert payload["top_tracks"] == [{"track_id": t1, "plays": 2}, {"track_id": t3, "plays": 2},
                                     {"track_id": t5, "plays": 1}]
    assert [a["plays"] for a in payload["top_artists"]] == [2, 2, 1]


def test_active_users_are_measured_now_for_today(db_engine):
    _, (ana, *_) = _plays(db_engine)
    with db_engine.connect() as conn:
        assert overall_payload(conn, date(2024, 5, 1), at("2024-05-01 10:12"))["active_users"] == 1
        assert overall_payload(conn, date(2024, 5, 1), at("2024-05-01 10:20"))["active_users"] == 0


def test_overall_stats_job_replaces_the_days_row(db_engine):
    _plays(db_engine)
    url = _url(db_engine)
    aggregate_overall_stats("2024-05-01", database_url=url)
    aggregate_overall_stats("2024-05-01", database_url=url)
    with db_engine.connect() as conn:
        rows = conn.execute(sa.select(OverallDailyStats.day, OverallDailyStats.payload)).all()
    assert [(r.day, r.payload["plays"]) for r in rows] == [(date(2024, 5, 1), 5)]


def test_user_stats_of_the_previous_day(db_engine):
    (t1, t2, t3, t4, t5), (ana, bo, cy) = _plays(db_engine)
    url = _url(db_engine)
    assert aggregate_user_stats("2024-05-01", database_url=url) == {"day": "2024-05-01", "users": 2, "plays": 5}
    first = _user_rows(db_engine)
    aggregate_user_stats("2024-05-01", database_url=url)
    assert _user_rows(db_engine) == first
    by_user = {u: (plays, payload) for u, plays, payload in first}
    plays, payload = by_user[ana]
    assert plays == 3
    assert payload["tracks"] == [[t1, 2], [t3, 1]]
    assert payload["genres"] == [["pop", 2], ["rock", 1]]
    assert payload["hours"][10] == 2 and payload["hours"][22] == 1 and sum(payload["hours"]) == 3
    assert by_user[bo][1]["tracks"] == [[t3, 1], [t5, 1]]
    assert cy not in by_user


def _user_rows(engine):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(UserDailyStats.user_id, UserDailyStats.plays, UserDailyStats.payload).order_by(UserDailyStats.user_id))]
