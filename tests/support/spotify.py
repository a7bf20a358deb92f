"""Settings pointing at the fake Spotify Web API, and a snapshot of what the ingestion writes."""

from __future__ import annotations

import sqlalchemy as sa

from domain.db import create_db_engine
from jobs.spotify.fake_api import FakeSpotify


def spotify_env(fake: FakeSpotify) -> dict[str, str]:
    """Environment variables that point the settings at ``fake``."""
    return {f"HZ45_SPOTIFY__{key.upper()}": value for key, value in fake.settings_overrides().items()}


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of the tables the ingestion writes, for before/after comparisons."""
    queries = {
        "track": "select spotify_id, name, popularity, audio_features_status, updated_at from track",
        "artist": "select spotify_id, name, genres, popularity, followers from artist",
        "audio_features": "select track_id, energy from audio_features",
        "track_genre": "select track_id, genre_id, is_primary from track_genre",
        "chart_top50": "select chart_date, rank, track_id, source_playlist from chart_top50",
    }
    engine = create_db_engine(url)
    with engine.connect() as conn:
        rows = {name: sorted(map(tuple, conn.execute(sa.text(q))), key=repr) for name, q in queries.items()}
    engine.dispose()
    return rows
