"""Fixtures for the job tests: the fake Spotify Web API on loopback, and settings pointing at it."""

from __future__ import annotations

import pytest

from jobs.spotify.fake_api import FakeSpotify, serve_fake_spotify
from tests.support.spotify import spotify_env


@pytest.fixture(scope="session")
def served_fake_spotify():
    with serve_fake_spotify(FakeSpotify()) as fake:
        yield fake


@pytest.fixture
def fake_spotify(served_fake_spotify):
    """The fake Spotify Web API served on 127.0.0.1, in its initial state."""
    served_fake_spotify.reset()
    return served_fake_spotify


@pytest.fixture
def spotify(monkeypatch, fake_spotify):
    """The fake, with the process environment pointing the settings at it."""
    for name in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "HZ45_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in spotify_env(fake_spotify).items():
        monkeypatch.setenv(name, value)
    return fake_spotify
