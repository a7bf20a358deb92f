"""A catalog of 200 tracks by 50 artists and three listeners, for generated playlists."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from domain.accounts.tables import User
from domain.catalog.store import ArtistRecord, TrackRecord, upsert_catalog
from domain.catalog.tables import Track
from domain.db import create_db_engine
from jobs.demo_data import UNUSABLE_PASSWORD
from tests.support.activity import add_plays, at

ARTISTS, PER_ARTIST = 50, 4
DAY = "2024-05-10"  # a Friday; its week's Monday is 2024-05-06


def seed_listeners(db_url):
    """(engine, ana, bo, the tracks ana played): 200 tracks, 4 per artist, the first ones most
    popular; ana played 2 tracks of each of the first 30 artists in the days before DAY, bo only
    two months before, cy never."""
    engine = create_db_engine(db_url)
    artists = [ArtistRecord(f"artist{a:018d}", f"Artist {a}") for a in range(ARTISTS)]
    upsert_catalog(engine, [TrackRecord(f"track{n:018d}", f"Song {n}", [artists[n // PER_ARTIST]], ["pop"],
                                        popularity=1000 - n) for n in range(ARTISTS * PER_ARTIST)])
    with engine.begin() as conn:
        ids = dict(conn.execute(sa.select(Track.spotify_id, Track.id)).all())
        conn.execute(sa.insert(User.__table__), [
            {"nickname": n, "name": n, "gender": "FEMALE", "birth_date": date(2000, 1, 1),
             "password_hash": UNUSABLE_PASSWORD} for n in ("ana", "bo", "cy")])
        ana, bo, _ = conn.execute(sa.select(User.id).order_by(User.id)).scalars()
    tracks = [ids[f"track{n:018d}"] for n in range(ARTISTS * PER_ARTIST)]
    played = [tracks[a * PER_ARTIST + k] for a in range(30) for k in (0, 1)]
    add_plays(engine, [(ana, t, at(f"2024-05-0{1 + i % 9} 12:00")) for i, t in enumerate(played) for _ in range(1 + i % 3)])
    add_plays(engine, [(bo, tracks[0], at("2024-03-01 12:00"))])
    return engine, ana, bo, set(played)
