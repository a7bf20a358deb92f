"""Fixtures for the Spotify tests: the fake Web API on loopback, and settings pointing at it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from domain.db import create_db_engine
from jobs.spotify.fake_api import FakeSpotify, serve_fake_spotify


@pytest.fixture(scope="session")
def served_fake_spotify():
    with serve_fake_spotify(FakeSpotify()) as fake:
        yield fake


@pytest.fixture
def fake_spotify(served_fake_spotify):
    """The fake Spotify Web API served on 127.0.0.1, in its initial state."""
    served_fake_spotify.reset()
    return served_fake_spotify


def spotify_env(fake: FakeSpotify) -> dict[str, str]:
    """Environment variables that point the settings at ``fake``."""
    return {f"HZ45_SPOTIFY__{key.upper()}": value for key, value in fake.settings_overrides().items()}


@pytest.fixture
def spotify(monkeypatch, fake_spotify):
    """The fake, with the process environment pointing the settings at it."""
    for name in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "HZ45_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in spotify_env(fake_spotify).items():
        monkeypatch.setenv(name, value)
    return fake_spotify


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
