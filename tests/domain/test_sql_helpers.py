"""The dialect-aware SQL helpers of domain/sql.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.tables import User
from domain.catalog.tables import Track
from domain.plays.tables import PlayEvent
from domain.sql import insert_returning_ids, one_of


def _user_and_tracks(session: Session, n: int) -> tuple[User, list[Track]]:
    user = User(nickname="listener", name="L", birth_date=date(2000, 1, 1), gender="FEMALE", password_hash="x")
    tracks = [Track(spotify_id=f"{i:022d}", name=f"t{i}") for i in range(n)]
    session.add_all([user, *tracks])
    session.flush()
    return user, tracks


def test_one_of_matches_exactly_the_listed_values(db_engine):
    with Session(db_engine) as session:
        _, tracks = _user_and_tracks(session, 6)
        wanted = [tracks[4].id, tracks[1].id, tracks[1].id, 10**9]
        found = session.exec(select(Track.id).where(one_of(session, Track.id, wanted))).all()
        assert sorted(found) == sorted({tracks[4].id, tracks[1].id})
        names = session.exec(select(Track.name).where(one_of(session, Track.spotify_id, [tracks[2].spotify_id]))).all()
        assert names == ["t2"]
        assert session.exec(select(Track.id).where(one_of(session, Track.id, []))).all() == []


def test_insert_returning_ids_gives_each_row_its_own_id_in_order(db_engine):
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    with Session(db_engine) as session:
        user, tracks = _user_and_tracks(session, 50)
        session.add(PlayEvent(user_id=user.id, track_id=tracks[0].id, played_at=now))  # ids do not start at 1
        session.flush()
        # Same track several times and every other row without a source: the order must still hold.
        rows = [{"user_id": user.id, "track_id": tracks[(i * 7) % 50].id, "played_at": now - timedelta(seconds=i),
                 "source": None if i % 2 else f"s{i}"} for i in range(300)]
        ids = insert_returning_ids(session, PlayEvent.__table__, rows)
        assert len(set(ids)) == 300
        stored = {e.id: e for e in session.exec(select(PlayEvent).where(PlayEvent.id.in_(ids))).all()}
        for new_id, row in zip(ids, rows, strict=True):
            event = stored[new_id]
            assert (event.track_id, event.played_at, event.source) == (row["track_id"], row["played_at"], row["source"])
        assert insert_returning_ids(session, PlayEvent.__table__, []) == []
        assert session.scalar(sa.select(sa.func.count()).select_from(PlayEvent)) == 301
