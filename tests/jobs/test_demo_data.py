"""The demo dataset is deterministic and its tastes carry demographic and content structure."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from domain.accounts.tables import User
from domain.catalog.tables import Genre, Track, TrackGenre
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from jobs.demo_data import DemoConfig, database_is_empty, generate_catalog, seed_demo

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
SMALL = DemoConfig(tracks=600, artists=80, users=300)


def test_catalog_generation_is_deterministic():
    a, b = generate_catalog(SMALL), generate_catalog(SMALL)
    assert [r.name for r in a.records] == [r.name for r in b.records]
    assert [r.audio_features for r in a.records] == [r.audio_features for r in b.records]
    other = generate_catalog(DemoConfig(tracks=600, artists=80, users=300, seed=7))
    assert [r.name for r in other.records] != [r.name for r in a.records]


def test_genres_have_distinct_audio_profiles():
    catalog = generate_catalog(DemoConfig(tracks=3000))
    frame = pd.DataFrame([{**r.audio_features, "genre": r.genres[0]} for r in catalog.records])
    means = frame.groupby("genre")[["energy", "acousticness"]].mean()
    assert means.loc["edm", "energy"] > means.loc["acoustic", "energy"] + 0.3
    assert means.loc["acoustic", "acousticness"] > means.loc["edm", "acousticness"] + 0.4


def _plays_frame(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(User.birth_date, User.gender, Genre.name)
            .select_from(PlayEvent).join(User, User.id == PlayEvent.user_id)
            .join(Track, Track.id == PlayEvent.track_id).join(Genre, Genre.id == Track.primary_genre_id)
        ).all()
    frame = pd.DataFrame(rows, columns=["birth", "gender", "genre"])
    frame["age"] = [(NOW.date() - b).days // 365 for b in frame["birth"]]
    return frame


def test_seed_demo_stores_structured_tastes(sqlite_url):
    from domain.db import create_db_engine

    engine = create_db_engine(sqlite_url)
    assert database_is_empty(engine)
    counts = seed_demo(engine, SMALL, now=NOW)
    assert not database_is_empty(engine)
    assert counts["tracks"] == 600 and counts["users"] == 300
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Playlist)).scalar() == 300
        ratings = conn.execute(sa.select(PlaylistItem.rating)).scalars().all()
        assert set(ratings) <= set(range(6)) and len(set(ratings)) >= 4
        played = conn.execute(sa.select(sa.func.min(PlayEvent.played_at), sa.func.max(PlayEvent.played_at))).one()
        assert played[1] <= NOW and (NOW - played[0]).days <= SMALL.days_of_plays
        assert conn.execute(sa.select(sa.func.count()).select_from(TrackGenre)).scalar() > 600
    frame = _plays_frame(engine)
    young = frame[frame["age"] < 30]
    old = frame[frame["age"] >= 50]
    # The young play far more k-pop than listeners over 50, who prefer romance/soul/acoustic.
    assert (young["genre"] == "k-pop").mean() > 2 * (old["genre"] == "k-pop").mean()
    calm = ["romance", "soul", "acoustic"]
    assert old["genre"].isin(calm).mean() > 1.5 * young["genre"].isin(calm).mean()
    # Plays are concentrated: far from uniform over the catalog.
    per_track = np.bincount(pd.factorize(frame["genre"])[0])
    assert per_track.max() > 1.5 * per_track.mean()
    engine.dispose()
