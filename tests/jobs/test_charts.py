"""aggregate_charts: known rankings, incremental runs equal a full rebuild, the watermark."""

from __future__ import annotations

import sqlalchemy as sa

from domain.charts.tables import ChartHourly
from domain.charts.windows import open_windows
from domain.plays.tables import PlayEvent
from jobs.charts import aggregate_charts, all_chart_rows
from tests.support.activity import add_plays, at, seed_activity

NOW = "2024-05-01T10:30:00+00:00"


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _rows(engine):
    return [(w.isoformat()[11:16], rank, track, plays) for w, rank, track, plays in all_chart_rows(engine)]


def test_open_windows_are_the_current_and_previous_hour():
    assert open_windows(at("2024-05-01 10:30")) == [at("2024-05-01 09:00"), at("2024-05-01 10:00")]


def test_windows_rank_by_plays_then_track_id(db_engine):
    (t1, t2, t3, *_), (u1, u2, u3) = seed_activity(db_engine)
    add_plays(db_engine, [
        (u1, t3, at("2024-05-01 10:01")), (u2, t3, at("2024-05-01 10:02")),
        (u1, t2, at("2024-05-01 10:03")), (u3, t1, at("2024-05-01 10:59")),
        (u1, t1, at("2024-05-01 09:10")),
    ])
    report = aggregate_charts(now=NOW, database_url=_url(db_engine))
    assert report["realtime_changed"] is True
    assert _rows(db_engine) == [
        ("09:00", 1, t1, 1),
        ("10:00", 1, t3, 2), ("10:00", 2, t1, 1), ("10:00", 3, t2, 1),
    ]


def test_runs_are_idempotent_and_equal_a_full_rebuild(db_engine):
    (t1, t2, t3, t4, t5), users = seed_activity(db_engine)
    url = _url(db_engine)
    add_plays(db_engine, [(users[i % 3], (t1, t2, t3, t4, t5)[i % 5], at(f"2024-05-01 09:{i:02d}"))
                          for i in range(40)])
    aggregate_charts(now="2024-05-01T09:45:00+00:00", database_url=url)
    add_plays(db_engine, [(users[i % 3], (t5, t4, t3)[i % 3], at(f"2024-05-01 10:{i:02d}")) for i in range(20)])
    add_plays(db_engine, [(users[0], t2, at("2024-05-01 09:58"))])  # late but within the watermark
    first = aggregate_charts(now=NOW, database_url=url)
    incremental = _rows(db_engine)
    again = aggregate_charts(now=NOW, database_url=url)
    assert _rows(db_engine) == incremental
    assert first["changed_windows"] and again["changed_windows"] == []
    aggregate_charts(full=True, database_url=url)
    assert _rows(db_engine) == incremental


def test_events_later_than_the_watermark_wait_for_a_full_rebuild(db_engine):
    (t1, t2, *_), (u1, *_) = seed_activity(db_engine)
    url = _url(db_engine)
    add_plays(db_engine, [(u1, t1, at("2024-05-01 07:10"))])
    aggregate_charts(now="2024-05-01T07:30:00+00:00", database_url=url)
    aggregate_charts(now=NOW, database_url=url)
    add_plays(db_engine, [(u1, t2, at("2024-05-01 07:20"))])  # its window closed at 09:00
    report = aggregate_charts(now=NOW, database_url=url)
    assert report["changed_windows"] == []
    assert _rows(db_engine) == [("07:00", 1, t1, 1)]
    aggregate_charts(full=True, database_url=url)
    assert _rows(db_engine) == [("07:00", 1, t1, 1), ("07:00", 2, t2, 1)]


def test_an_event_committed_out_of_id_order_is_counted_while_its_window_is_open(db_engine):
    (t1, t2, *_), (u1, *_) = seed_activity(db_engine)
    url = _url(db_engine)
    add_plays(db_engine, [(u1, t1, at("2024-05-01 10:05"))], id=10)
    add_plays(db_engine, [(u1, t1, at("2024-05-01 10:06"))], id=12)
    aggregate_charts(now=NOW, database_url=url)
    # id 11 was handed out before 12 but commits after the run that saw 12
    add_plays(db_engine, [(u1, t2, at("2024-05-01 10:07"))], id=11)
    aggregate_charts(now="2024-05-01T10:32:00+00:00", database_url=url)
    assert _rows(db_engine) == [("10:00", 1, t1, 2), ("10:00", 2, t2, 1)]


def test_closed_windows_are_not_recomputed_by_incremental_runs(db_engine):
    (t1, *_), (u1, *_) = seed_activity(db_engine)
    url = _url(db_engine)
    add_plays(db_engine, [(u1, t1, at("2024-05-01 06:10")), (u1, t1, at("2024-05-01 10:10"))])
    aggregate_charts(now=NOW, database_url=url)
    with db_engine.begin() as conn:  # tamper with a closed window: only a rebuild may touch it
        conn.execute(sa.update(ChartHourly).where(ChartHourly.window_start == at("2024-05-01 06:00"))
                     .values(plays=99))
    add_plays(db_engine, [(u1, t1, at("2024-05-01 10:20"))])
    aggregate_charts(now=NOW, database_url=url)
    assert _rows(db_engine) == [("06:00", 1, t1, 99), ("10:00", 1, t1, 2)]
    aggregate_charts(full=True, database_url=url)
    assert _rows(db_engine) == [("06:00", 1, t1, 1), ("10:00", 1, t1, 2)]
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(PlayEvent)).scalar() == 3
