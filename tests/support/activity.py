"""A tiny catalog, three listeners and their plays with known answers (charts, stats, queues)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from domain.accounts.tables import User
from domain.catalog.store import ArtistRecord, TrackRecord, upsert_catalog
from domain.catalog.tables import Track
from domain.plays.tables import PlayEvent
from jobs.demo_data import UNUSABLE_PASSWORD

ARTISTS = [ArtistRecord(f"artist{i:018d}", f"Artist {i}") for i in range(3)]
# track spotify id -> (artist index, genres with the primary first)
TRACKS = {
    "track000000000000000001": (0, ["pop", "k-pop"]),
    "track000000000000000002": (0, ["pop"]),
    "track000000000000000003": (1, ["rock"]),
    "track000000000000000004": (1, ["rock", "pop"]),
    "track000000000000000005": (2, ["k-pop"]),
}
LISTENERS = [  # nickname, gender, birth date
    ("ana", "FEMALE", date(2001, 3, 1)),
    ("bo", "MALE", date(1994, 7, 1)),
    ("cy", "FEMALE", date(1985, 1, 1)),
]


def at(text: str) -> datetime:
    """An aware UTC datetime from ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def seed_activity(engine) -> tuple[list[int], list[int]]:
    """Store the catalog and listeners; returns (track ids by number 1..5, user ids)."""
    upsert_catalog(engine, [TrackRecord(sid, f"Song {n}", [ARTISTS[a]], genres)
                            for n, (sid, (a, genres)) in enumerate(TRACKS.items(), start=1)])
    with engine.begin() as conn:
        ids = dict(conn.execute(sa.select(Track.spotify_id, Track.id)).all())
        conn.execute(sa.insert(User.__table__), [
            {"nickname": n, "name": n, "gender": g, "birth_date": b, "password_hash": UNUSABLE_PASSWORD}
            for n, g, b in LISTENERS])
        users = list(conn.execute(sa.select(User.id).order_by(User.id)).scalars())
    return [ids[sid] for sid in TRACKS], users


def add_plays(engine, plays: list[tuple[int, int, datetime]], **columns) -> None:
    """Append (user id, track id, played at) events."""
    with engine.begin() as conn:
        conn.execute(sa.insert(PlayEvent.__table__), [
            {"user_id": u, "track_id": t, "played_at": when, "source": "test", **columns}
            for u, t, when in plays])
