"""update_listening_rollups: every range statistic equals a brute-force count of the log.

Random logs of listeners in several time zones (a half-hour one, DST ones), folded by incremental
runs with late plays in between, are compared shape by shape and range by range with a count made
straight from ``play_event`` in Python.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from domain.accounts.tables import User
from domain.catalog.store import ArtistRecord, TrackRecord, upsert_catalog
from domain.catalog.tables import Genre, Track, TrackArtist, TrackGenre
from domain.db import create_db_engine
from domain.errors import BadUserInput
from domain.jobs.tables import JobState
from domain.plays.tables import PlayEvent
from domain.stats import listening
from domain.stats.listening import Granularity, Scope, StatsRange, range_days
from domain.stats.rollups import STATE_NAME, set_time_zone, watermark
from domain.stats.tables import ArtistFirstPlay, ListeningRollup, OverallArtistFirstPlay, OverallListeningRollup
from jobs.demo_data import UNUSABLE_PASSWORD
from jobs.listening_stats import update_listening_rollups

NOW = datetime(2024, 11, 6, 12, 0, tzinfo=UTC)  # a Wednesday, three days after New York left DST
ZONES = ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]
RELEASES = ["2019", "2001-05", "1987-01-01", None, "2024-02-29", "1999", "2019-12-31", "1965", "2024", "1971"]
GENRES = [["pop", "k-pop"], ["rock"], ["k-pop"], [], ["edm", "pop"], ["rock", "soul"], ["soul"], ["pop"], ["edm"],
          ["soul"]]
OLD_TRACKS = 8  # the last two tracks (and their artists) are only played in the latest plays


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _seed(engine, zones=ZONES) -> tuple[list[int], list[int]]:
    """Ten tracks (some with two artists, one without genre or year) and one listener per zone."""
    artists = [ArtistRecord(f"lr-artist{i:013d}", f"LR Artist {i}") for i in range(7)]
    credits = [[n % 5, *([(n + 2) % 5] if n % 3 == 0 else [])] for n in range(OLD_TRACKS)] + [[5], [6, 5]]
    records = [TrackRecord(f"lr-track{n:014d}", f"LR Song {n}", [artists[a] for a in credits[n]], GENRES[n],
                           release_date=RELEASES[n]) for n in range(len(credits))]
    upsert_catalog(engine, records)
    with engine.begin() as conn:
        tracks = list(conn.execute(sa.select(Track.id).where(Track.spotify_id.like("lr-track%"))
                                   .order_by(Track.spotify_id)).scalars())
        conn.execute(sa.insert(User.__table__), [
            {"nickname": f"lr{i}", "name": f"lr{i}", "gender": "OTHER", "birth_date": date(1990, 1, 1),
             "password_hash": UNUSABLE_PASSWORD, "time_zone": z} for i, z in enumerate(zones)])
        users = list(conn.execute(sa.select(User.id).where(User.nickname.like("lr%")).order_by(User.id)).scalars())
    return tracks, users


# Moments worth hitting: DST changes (New York 3 Nov 2024 06:00 UTC, Lord Howe 6 Oct 2024), the
# ends of weeks, months and years in every zone.
HOT_SPOTS = [datetime(2024, 11, 3, 5, 0, tzinfo=UTC), datetime(2024, 10, 31, 18, 0, tzinfo=UTC),
             datetime(2023, 12, 31, 12, 0, tzinfo=UTC), datetime(2024, 10, 5, 15, 0, tzinfo=UTC),
             datetime(2024, 11, 3, 23, 0, tzinfo=UTC), datetime(2024, 11, 6, 3, 0, tzinfo=UTC)]


def _random_plays(rng: random.Random, tracks, users, n: int, *, since: datetime) -> list[dict]:
    plays = []
    span = (NOW - since).total_seconds()
    for _ in range(n):
        if rng.random() < 0.4:
            when = rng.choice(HOT_SPOTS) + timedelta(minutes=rng.uniform(-180, 180))
        else:
            when = since + timedelta(seconds=rng.uniform(0, span))
        plays.append({"user_id": rng.choice(users), "track_id": rng.choice(tracks), "source": "test",
                      "played_at": min(when, NOW - timedelta(minutes=1))})
    return plays


def _insert(engine, plays: list[dict]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(PlayEvent.__table__), plays)


# ---- the brute force: straight from play_event, in Python ----------------------------------------

def _catalog(engine):
    with engine.connect() as conn:
        artists = defaultdict(list)
        for t, a in conn.execute(sa.select(TrackArtist.track_id, TrackArtist.artist_id)):
            artists[t].append(a)
        years = {t: int(r[:4]) for t, r in conn.execute(sa.select(Track.id, Track.release_date)) if r}
        genres = dict(conn.execute(sa.select(TrackGenre.track_id, Genre.id).join(Genre, Genre.id == TrackGenre.genre_id)
                                   .where(TrackGenre.is_primary)).all())
        names = dict(conn.execute(sa.select(Genre.id, Genre.name)).all())
    return artists, years, genres, names


def _local_plays(engine, scope: Scope) -> list[tuple[datetime, int]]:
    """(local time, track) of the folded plays (id <= watermark) in the scope."""
    with engine.connect() as conn:
        last, _ = watermark(conn)
        query = sa.select(PlayEvent.played_at, PlayEvent.track_id, User.time_zone).join(
            User, User.id == PlayEvent.user_id).where(PlayEvent.id <= last)
        if scope.user_id is not None:
            query = query.where(PlayEvent.user_id == scope.user_id)
        rows = conn.execute(query).all()
    return [(at.astimezone(ZoneInfo(tz) if scope.user_id is not None else UTC), t) for at, t, tz in rows]


def _ranked(counter: Counter) -> list[tuple[int, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def brute_force(engine, scope: Scope, stats_range: StatsRange) -> dict:
    """Every shape of ``stats_range`` counted from the log."""
    artists, years, genres, names = _catalog(engine)
    everything = _local_plays(engine, scope)
    today = NOW.astimezone(ZoneInfo(scope.time_zone) if scope.user_id is not None else UTC).date()
    days = sorted(at.date() for at, _ in everything)
    start, end = range_days(stats_range, today, (days[0], days[-1]) if days else None)
    plays = [(at, t) for at, t in everything if start <= at.date() <= end]
    step = {StatsRange.ALL_TIME: "year", StatsRange.YEAR: "month",
            StatsRange.THIS_YEAR: "month"}.get(stats_range, "day")
    bucket = {"day": lambda d: d, "month": lambda d: d.replace(day=1), "year": lambda d: date(d.year, 1, 1)}[step]
    activity = Counter(bucket(at.date()) for at, _ in plays)
    buckets, cursor = [], start
    while cursor <= end:
        if not buckets or buckets[-1][0] != bucket(cursor):
            buckets.append((bucket(cursor), activity.get(bucket(cursor), 0)))
        cursor += timedelta(days=1)
    heat = [[0] * 24 for _ in range(7)]
    genre_hours = defaultdict(lambda: [0] * 24)
    for at, t in plays:
        heat[at.weekday()][at.hour] += 1
        if t in genres:
            genre_hours[names[genres[t]]][at.hour] += 1
    first_day = {}
    for at, t in everything:
        for a in artists[t]:
            first_day[a] = min(at.date(), first_day.get(a, at.date()))
    return {
        "from": start, "to": end, "plays": len(plays), "activity": buckets, "heatmap": heat,
        "eras": sorted(Counter(years[t] for _, t in plays if t in years).items()),
        "genre_hours": sorted(genre_hours.items(), key=lambda kv: (-sum(kv[1]), kv[0])),
        "tracks": _ranked(Counter(t for _, t in plays)),
        "artists": _ranked(Counter(a for _, t in plays for a in artists[t])),
        "genres": [(g, names[g], n) for g, n in _ranked(Counter(genres[t] for _, t in plays if t in genres))],
        "new_artists": sorted(((a, d) for a, d in first_day.items() if start <= d <= end), key=lambda x: (x[1], x[0])),
    }


def _walk(fetch, key, page: int = 3) -> list[tuple]:
    """Every row of a keyset-paginated list, ``page`` rows at a time."""
    rows, after = [], None
    while True:
        result = fetch(page, after)
        rows += result.rows
        if not result.has_next:
            return rows
        after = key(result.rows[-1])


def from_rollups(session: Session, scope: Scope, stats_range: StatsRange) -> dict:
    """The same shapes read from the rollups by domain.stats.listening."""
    w = listening.window(session, scope, stats_range, now=NOW)
    tops = {kind: _walk(lambda n, a, k=kind: listening.top(session, w, k, n, a), lambda r: (r[-1], r[0]))
            for kind in ("track", "artist", "genre")}
    for kind, rows in tops.items():
        assert listening.count_top(session, w, kind) == len(rows)
    new = _walk(lambda n, a: listening.new_artists(session, w, n, a), lambda r: (r[1], r[0]))
    assert listening.count_new_artists(session, w) == len(new)
    return {
        "from": w.start, "to": w.end, "plays": listening.total_plays(session, w),
        "activity": listening.activity(session, w), "heatmap": listening.heatmap(session, w),
        "eras": listening.eras(session, w), "genre_hours": listening.genre_hours(session, w),
        "tracks": tops["track"], "artists": tops["artist"], "genres": tops["genre"], "new_artists": new,
    }


def _scopes(engine) -> list[Scope]:
    with engine.connect() as conn:
        users = conn.execute(sa.select(User.id, User.time_zone).where(User.nickname.like("lr%"))).all()
    return [Scope(), *(Scope(u, tz) for u, tz in users)]


def assert_exact(engine) -> int:
    """Compare every shape of every range of every scope; the plays of the whole service."""
    compared = 0
    with Session(engine) as session:
        for scope in _scopes(engine):
            for stats_range in StatsRange:
                expected = brute_force(engine, scope, stats_range)
                assert from_rollups(session, scope, stats_range) == expected, (scope, stats_range)
                if stats_range is StatsRange.ALL_TIME and scope.user_id is None:
                    compared = expected["plays"]
    return compared


def _dump(engine) -> list:
    with engine.connect() as conn:
        return [conn.execute(sa.select(t).order_by(*t.__table__.primary_key.columns)).all()
                for t in (ListeningRollup, OverallListeningRollup, ArtistFirstPlay, OverallArtistFirstPlay)]


# ---- tests ---------------------------------------------------------------------------------------

def test_named_ranges_on_a_wednesday():
    today = date(2024, 11, 6)
    assert range_days(StatsRange.THIS_WEEK, today, None) == (date(2024, 11, 4), today)
    assert range_days(StatsRange.WEEK, today, None) == (date(2024, 10, 28), date(2024, 11, 3))
    assert range_days(StatsRange.THIS_MONTH, today, None) == (date(2024, 11, 1), today)
    assert range_days(StatsRange.MONTH, today, None) == (date(2024, 10, 1), date(2024, 10, 31))
    assert range_days(StatsRange.MONTH, date(2024, 1, 15), None) == (date(2023, 12, 1), date(2023, 12, 31))
    assert range_days(StatsRange.THIS_YEAR, today, None) == (date(2024, 1, 1), today)
    assert range_days(StatsRange.YEAR, today, None) == (date(2023, 1, 1), date(2023, 12, 31))
    assert range_days(StatsRange.ALL_TIME, today, (date(2020, 2, 2), date(2024, 3, 3))) == (date(2020, 2, 2),
                                                                                           date(2024, 3, 3))
    assert range_days(StatsRange.ALL_TIME, today, None) == (today, today)
    assert range_days(StatsRange.THIS_WEEK, date(2024, 11, 4), None) == (date(2024, 11, 4), date(2024, 11, 4))


def test_incremental_runs_with_late_plays_are_exact(db_engine):
    rng = random.Random(45)
    tracks, users = _seed(db_engine)
    url = _url(db_engine)
    old = tracks[:OLD_TRACKS]
    _insert(db_engine, _random_plays(rng, old, users, 400, since=datetime(2022, 6, 1, tzinfo=UTC)))
    first = update_listening_rollups(database_url=url, chunk_size=97)
    assert first["plays"] == 400 and first["settled"]
    assert assert_exact(db_engine) == 400
    # late plays: new ids with old times, some in ranges already folded
    _insert(db_engine, _random_plays(rng, old, users, 150, since=datetime(2022, 1, 1, tzinfo=UTC)))
    _insert(db_engine, _random_plays(rng, old, users, 100, since=datetime(2024, 10, 20, tzinfo=UTC)))
    second = update_listening_rollups(database_url=url, chunk_size=64, transaction_plays=100)
    assert (second["from_id"], second["plays"], second["transactions"]) == (first["to_id"], 250, 2)  # 128 + 122
    assert assert_exact(db_engine) == 650
    before = _dump(db_engine)
    again = update_listening_rollups(database_url=url)
    assert again["plays"] == 0 and again["to_id"] == second["to_id"]
    assert _dump(db_engine) == before  # nothing new: nothing changes
    _insert(db_engine, _random_plays(rng, tracks, users, 80, since=datetime(2024, 11, 1, tzinfo=UTC)))
    update_listening_rollups(database_url=url, chunk_size=1000)
    assert assert_exact(db_engine) == 730
    with Session(db_engine) as session:  # the random log did reach the interesting cases
        windows = [listening.window(session, Scope(), r, now=NOW) for r in StatsRange if r is not StatsRange.ALL_TIME]
        assert sum(listening.count_new_artists(session, w) for w in windows) >= 2
        assert listening.count_top(session, windows[0], "genre") >= 3


def test_unfolded_plays_are_not_counted_yet(db_engine):
    tracks, users = _seed(db_engine)
    _insert(db_engine, [{"user_id": users[0], "track_id": tracks[0], "played_at": NOW - timedelta(hours=1)}])
    update_listening_rollups(database_url=_url(db_engine))
    _insert(db_engine, [{"user_id": users[0], "track_id": tracks[1], "played_at": NOW - timedelta(hours=1)}])
    with Session(db_engine) as session:
        w = listening.window(session, Scope(users[0], "UTC"), StatsRange.THIS_WEEK, now=NOW)
        assert listening.total_plays(session, w) == 1 and w.as_of is not None
        assert w.granularity is Granularity.DAY
    assert assert_exact(db_engine) == 1


def test_a_half_hour_zone_and_a_dst_change_put_plays_in_local_hours(db_engine):
    tracks, (utc, kolkata, new_york, *_) = _seed(db_engine)
    moments = [datetime(2024, 11, 3, 5, 30, tzinfo=UTC), datetime(2024, 11, 3, 6, 30, tzinfo=UTC),  # 01:30 twice
               datetime(2024, 11, 3, 18, 45, tzinfo=UTC)]  # Kolkata: 4 Nov 00:15
    _insert(db_engine, [{"user_id": u, "track_id": tracks[1], "played_at": m}
                        for u in (utc, kolkata, new_york) for m in moments])
    update_listening_rollups(database_url=_url(db_engine))
    with Session(db_engine) as session:
        def cells(user, tz, stats_range=StatsRange.WEEK):
            grid = listening.heatmap(session, listening.window(session, Scope(user, tz), stats_range, now=NOW))
            return {(d, h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n}

        assert cells(new_york, "America/New_York") == {(6, 1): 2, (6, 13): 1}  # Sunday 01:00 (twice), 13:00
        assert cells(kolkata, "Asia/Kolkata") == {(6, 11): 1, (6, 12): 1}  # 11:00, 12:00; 00:15 is next week
        assert cells(kolkata, "Asia/Kolkata", StatsRange.THIS_WEEK) == {(0, 0): 1}
        assert cells(utc, "UTC") == {(6, 5): 1, (6, 6): 1, (6, 18): 1}
    assert assert_exact(db_engine) == 9


def test_a_new_time_zone_recounts_that_listener_only(db_engine):
    rng = random.Random(7)
    tracks, users = _seed(db_engine)
    _insert(db_engine, _random_plays(rng, tracks, users, 300, since=datetime(2024, 1, 1, tzinfo=UTC)))
    update_listening_rollups(database_url=_url(db_engine))
    others = [r for r in _dump(db_engine)[0] if r.user_id != users[0]]
    overall = _dump(db_engine)[1:2]
    with db_engine.begin() as conn:
        assert set_time_zone(conn, users[0], "Asia/Kolkata") is True
        assert set_time_zone(conn, users[0], "Asia/Kolkata") is False
        with pytest.raises(BadUserInput):
            set_time_zone(conn, users[0], "Mars/Olympus_Mons")
    assert [r for r in _dump(db_engine)[0] if r.user_id != users[0]] == others
    assert _dump(db_engine)[1:2] == overall
    assert assert_exact(db_engine) == 300


def test_a_run_folds_only_settled_ids(pg_url):
    """An id drawn by a transaction that has not committed holds the run back until it ends."""
    engine = create_db_engine(pg_url)
    tracks, users = _seed(engine)
    play = {"user_id": users[0], "track_id": tracks[0], "played_at": NOW - timedelta(hours=2)}
    slow = engine.connect()
    slow_tx = slow.begin()
    result = {}
    runner = threading.Thread(target=lambda: result.update(update_listening_rollups(database_url=pg_url,
                                                                                    lock_timeout_s=10)))
    try:
        slow.execute(sa.insert(PlayEvent.__table__), [play])  # draws the smaller id, commits last
        _insert(engine, [play])
        assert update_listening_rollups(database_url=pg_url, lock_timeout_s=0.2)["settled"] is False
        runner.start()
        time.sleep(0.5)
        assert runner.is_alive()  # waiting for the slow writer
        slow_tx.commit()
    finally:
        if slow_tx.is_active:
            slow_tx.rollback()
        slow.close()
    runner.join(10)
    assert result["plays"] == 2
    assert assert_exact(engine) == 2
    engine.dispose()


def test_racing_runs_and_writers_stay_exact(pg_url):
    engine = create_db_engine(pg_url)
    tracks, users = _seed(engine)
    rng = random.Random(3)
    batches = [_random_plays(rng, tracks, users, 20, since=datetime(2024, 1, 1, tzinfo=UTC)) for _ in range(15)]
    errors = []

    def write():
        for batch in batches:
            _insert(engine, batch)

    def fold():
        try:
            for _ in range(6):
                update_listening_rollups(database_url=pg_url, chunk_size=17)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=fold), threading.Thread(target=fold)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    update_listening_rollups(database_url=pg_url)
    with engine.connect() as conn:
        assert watermark(conn)[0] == conn.execute(sa.select(sa.func.max(PlayEvent.id))).scalar()
    assert assert_exact(engine) == 300
    engine.dispose()


def test_the_watermark_lives_in_job_state(db_engine):
    tracks, users = _seed(db_engine)
    _insert(db_engine, [{"user_id": users[1], "track_id": tracks[2], "played_at": NOW}])
    report = update_listening_rollups(database_url=_url(db_engine))
    with db_engine.connect() as conn:
        value = conn.execute(sa.select(JobState.value).where(JobState.name == STATE_NAME)).scalar()
    assert value == {"last_play_id": report["to_id"]} and report["to_id"] > 0
