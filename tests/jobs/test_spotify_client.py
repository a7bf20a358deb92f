"""The spotipy client against the fake Web API: URLs, paging, batches, retries and clear errors."""

from __future__ import annotations

import time

import pytest

from domain.settings import SpotifySettings
from jobs.spotify.client import (
    SpotifyAuthError,
    SpotifyConfigError,
    SpotifyNotFound,
    SpotifyRateLimited,
    fetch_artists,
    fetch_audio_features,
    fetch_tracks,
    playlist_tracks,
    search_genre_tracks,
    spotify_client,
)
from jobs.spotify.fake_api import TOP50_PLAYLIST_ID, start_for_demo


def client_for(fake, **overrides):
    return spotify_client(SpotifySettings(**{**fake.settings_overrides(), **overrides}))


def batch_sizes(fake, path: str) -> list[int]:
    return [len(r.params["ids"].split(",")) for r in fake.requests_to(path)]


def test_search_follows_pages_against_the_configured_urls(fake_spotify):
    fake_spotify.max_page_size = 5
    tracks = search_genre_tracks(client_for(fake_spotify), "k-pop", limit=50)
    expected = fake_spotify.catalog.genre_tracks["k-pop"]
    assert len(expected) > 10
    assert [t["id"] for t in tracks] == expected
    offsets = [int(r.params["offset"]) for r in fake_spotify.requests_to("/v1/search")]
    assert offsets == list(range(0, len(expected), 5))
    assert len(fake_spotify.requests_to("/api/token")) == 1


def test_search_stops_at_the_limit(fake_spotify):
    fake_spotify.max_page_size = 5
    tracks = search_genre_tracks(client_for(fake_spotify), "rock", limit=7)
    assert [t["id"] for t in tracks] == fake_spotify.catalog.genre_tracks["rock"][:7]
    assert len(fake_spotify.requests_to("/v1/search")) == 2


def test_lookups_are_batched(fake_spotify):
    sp = client_for(fake_spotify)
    ids = list(fake_spotify.catalog.tracks)[:120]
    tracks = fetch_tracks(sp, ids)
    assert [tracks[i]["name"] for i in ids] == [fake_spotify.catalog.tracks[i]["name"] for i in ids]
    assert batch_sizes(fake_spotify, "/v1/tracks") == [50, 50, 20]
    features = fetch_audio_features(sp, ids)
    assert features[ids[7]]["energy"] == fake_spotify.catalog.audio_features[ids[7]]["energy"]
    assert batch_sizes(fake_spotify, "/v1/audio-features") == [100, 20]
    artist_ids = list(fake_spotify.catalog.artists)
    artists = fetch_artists(sp, artist_ids + artist_ids[:3])  # repeated ids are asked once
    assert set(artists) == set(artist_ids)
    assert batch_sizes(fake_spotify, "/v1/artists") == [len(artist_ids)]


def test_429_is_retried_after_retry_after(fake_spotify):
    fake_spotify.throttle("/v1/search", retry_after=1)
    tracks = search_genre_tracks(client_for(fake_spotify), "pop", limit=3)
    assert len(tracks) == 3
    first, second = fake_spotify.requests_to("/v1/search")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.9


def test_a_long_retry_after_fails_at_once(fake_spotify):
    fake_spotify.throttle("/v1/search", retry_after=3600)
    started = time.monotonic()
    with pytest.raises(SpotifyRateLimited, match="Retry-After 3600"):
        search_genre_tracks(client_for(fake_spotify), "pop", limit=3)
    assert time.monotonic() - started < 5
    assert len(fake_spotify.requests_to("/v1/search")) == 1


def test_audio_features_refused_or_null_are_none(fake_spotify):
    sp = client_for(fake_spotify)
    ids = list(fake_spotify.catalog.tracks)[:150]
    fake_spotify.null_features.update(ids[:2])
    features = fetch_audio_features(sp, ids)
    assert features[ids[0]] is None and features[ids[1]] is None
    assert all(features[i] is not None for i in ids[2:])
    fake_spotify.forbidden.add("audio-features")
    assert fetch_audio_features(sp, ids) == dict.fromkeys(ids)
    assert [r.status for r in fake_spotify.requests_to("/v1/audio-features")] == [200, 200, 403]


def test_an_expired_token_is_renewed_once(fake_spotify):
    sp = client_for(fake_spotify)
    search_genre_tracks(sp, "soul", limit=1)
    fake_spotify.revoke_tokens()
    assert len(search_genre_tracks(sp, "soul", limit=1)) == 1
    assert len(fake_spotify.requests_to("/api/token")) == 2


def test_a_revoked_app_is_an_auth_error(fake_spotify):
    sp = client_for(fake_spotify)
    search_genre_tracks(sp, "soul", limit=1)
    fake_spotify.revoke_access()
    with pytest.raises(SpotifyAuthError, match="rejected the client credentials") as caught:
        search_genre_tracks(sp, "soul", limit=1)
    assert "\n" not in str(caught.value)


def test_rejected_credentials(fake_spotify):
    with pytest.raises(SpotifyAuthError, match="invalid_client"):
        search_genre_tracks(client_for(fake_spotify, client_secret="wrong"), "pop", limit=1)


def test_missing_credentials_and_the_spotipy_fallback(monkeypatch, fake_spotify):
    monkeypatch.delenv("SPOTIPY_CLIENT_ID", raising=False)
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET", raising=False)
    with pytest.raises(SpotifyConfigError, match="HZ45_SPOTIFY__CLIENT_ID"):
        client_for(fake_spotify, client_id=None)
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", fake_spotify.client_id)
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", fake_spotify.client_secret)
    sp = client_for(fake_spotify, client_id=None, client_secret=None)
    assert len(search_genre_tracks(sp, "pop", limit=2)) == 2


def test_playlist_pages_and_unknown_playlists(fake_spotify):
    fake_spotify.max_page_size = 7
    sp = client_for(fake_spotify)
    tracks = playlist_tracks(sp, TOP50_PLAYLIST_ID)
    assert [t["id"] for t in tracks] == fake_spotify.catalog.playlists[TOP50_PLAYLIST_ID]
    assert len(fake_spotify.requests_to(f"/v1/playlists/{TOP50_PLAYLIST_ID}/items")) == 8
    with pytest.raises(SpotifyNotFound, match="0000000000000000000000"):
        playlist_tracks(sp, "0000000000000000000000")
    with pytest.raises(SpotifyNotFound):
        playlist_tracks(sp, "not a playlist id!")


def test_the_demo_fake_serves_the_configured_playlist():
    running, overrides = start_for_demo()
    try:
        sp = spotify_client(SpotifySettings(**overrides))
        assert len(playlist_tracks(sp, SpotifySettings(**overrides).top50_playlist_id)) == 50
    finally:
        running.stop()
    assert not running.thread.is_alive()
