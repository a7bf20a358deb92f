"""Spotify ingestion jobs against the fake Web API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from domain.db import create_db_engine
from jobs.ingest import import_top50, ingest_catalog
from jobs.spotify.client import SpotifyAuthError, SpotifyConfigError, SpotifyNotFound
from jobs.spotify.fake_api import GENRES, TOP50_PLAYLIST_ID
from tests.support.spotify import snapshot

DAY = "2024-05-01"


def query(url: str, sql: str, **params) -> list[tuple]:
    engine = create_db_engine(url)
    with engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(sa.text(sql), params)]
    engine.dispose()
    return rows


def scalar(url: str, sql: str, **params):
    return query(url, sql, **params)[0][0]


GENRES_SQL = ("select t.spotify_id, g.name from track t join track_genre tg on tg.track_id = t.id "
              "join genre g on g.id = tg.genre_id")


def genres_of(url: str, spotify_id: str) -> list[str]:
    """A track's genres, the primary one first."""
    rows = query(url, GENRES_SQL + " where t.spotify_id = :sid order by tg.is_primary desc, g.name",
                 sid=spotify_id)
    return [name for _, name in rows]


def test_ingest_counts_and_is_idempotent(db_url, spotify):
    spotify.max_page_size = 5
    catalog = spotify.catalog
    unique_tracks = {t for ids in catalog.genre_tracks.values() for t in ids}
    genre_artists = {a["id"] for t in unique_tracks for a in catalog.tracks[t]["artists"]}

    report = ingest_catalog(database_url=db_url)
    assert report == {
        "genres": 10, "tracks": len(unique_tracks), "tracks_inserted": len(unique_tracks),
        "tracks_updated": 0, "artists_inserted": len(genre_artists),
        "audio_features": len(unique_tracks), "audio_features_unavailable": 0,
    }
    assert len(unique_tracks) == 120  # 12 per genre; cross-listed tracks are stored once
    assert any(int(r.params["offset"]) > 0 for r in spotify.requests_to("/v1/search"))
    assert scalar(db_url, "select count(*) from track_genre") == sum(map(len, catalog.genre_tracks.values()))
    stored: dict[str, list[str]] = {}
    for spotify_id, genre in query(db_url, GENRES_SQL + " order by t.spotify_id, tg.is_primary desc, g.name"):
        stored.setdefault(spotify_id, []).append(genre)
    for track in unique_tracks:  # the first genre searched is the primary one
        listed_under = [g for g in GENRES if track in catalog.genre_tracks[g]]
        assert stored[track][0] == listed_under[0] and sorted(stored[track]) == sorted(listed_under)
    assert sum(len(g) > 1 for g in stored.values()) == 30
    artist = next(iter(genre_artists))
    assert scalar(db_url, "select followers from artist where spotify_id = :a", a=artist) == \
        catalog.artists[artist]["followers"]["total"]

    before = snapshot(db_url)
    again = ingest_catalog(database_url=db_url)
    assert (again["tracks_inserted"], again["tracks_updated"], again["artists_inserted"]) == (0, 120, 0)
    after = snapshot(db_url)
    for table in ("artist", "audio_features", "track_genre"):
        assert after[table] == before[table]
    assert [row[:4] for row in after["track"]] == [row[:4] for row in before["track"]]


def test_a_track_listed_under_two_genres_keeps_both(db_url, spotify):
    genres = spotify.catalog.genre_tracks
    shared = next(t for t in genres["pop"] if t in genres["hip-hop"])
    ingest_catalog(["pop"], database_url=db_url)
    ingest_catalog(["hip-hop"], database_url=db_url)
    assert genres_of(db_url, shared) == ["pop", "hip-hop"]  # the first genre stored stays primary


def test_limit_and_genres(db_url, spotify):
    genres = spotify.catalog.genre_tracks
    report = ingest_catalog(["k-pop", "rock"], limit_per_genre=4, database_url=db_url)
    expected = set(genres["k-pop"][:4]) | set(genres["rock"][:4])
    assert report["tracks"] == report["tracks_inserted"] == len(expected)
    assert {sid for sid, in query(db_url, "select spotify_id from track")} == expected


def test_refused_audio_features_keep_tracks_unavailable(db_url, spotify):
    spotify.forbidden.add("audio-features")
    report = ingest_catalog(["edm"], database_url=db_url)
    n = len(spotify.catalog.genre_tracks["edm"])
    assert report["tracks_inserted"] == report["audio_features_unavailable"] == n
    assert report["audio_features"] == 0
    assert scalar(db_url, "select count(*) from track where audio_features_status = 'unavailable'") == n
    assert scalar(db_url, "select count(*) from audio_features") == 0


def test_refused_audio_features_do_not_hide_stored_ones(db_url, spotify):
    ingest_catalog(["soul"], database_url=db_url)
    spotify.forbidden.add("audio-features")
    report = ingest_catalog(["soul", "romance"], database_url=db_url)
    soul = set(spotify.catalog.genre_tracks["soul"])
    new = set(spotify.catalog.genre_tracks["romance"]) - soul
    assert report["audio_features_unavailable"] == len(new)
    assert scalar(db_url, "select count(*) from track where audio_features_status = 'ok'") == len(soul)
    assert scalar(db_url, "select count(*) from audio_features") == len(soul)


def test_null_audio_features_for_some_tracks(db_url, spotify):
    ids = spotify.catalog.genre_tracks["dance"]
    spotify.null_features.update(ids[:3])
    report = ingest_catalog(["dance"], database_url=db_url)
    assert (report["audio_features"], report["audio_features_unavailable"]) == (len(ids) - 3, 3)
    missing = query(db_url, "select spotify_id from track where audio_features_status = 'unavailable'")
    assert {sid for sid, in missing} == set(ids[:3])


def test_artist_details_not_served(db_url, spotify):
    spotify.forbidden.add("artists")
    report = ingest_catalog(["acoustic"], database_url=db_url)
    assert report["tracks_inserted"] == len(spotify.catalog.genre_tracks["acoustic"])
    assert scalar(db_url, "select count(*) from artist where followers is not null") == 0


def chart(url: str, day: str) -> list[tuple[int, str, str]]:
    return query(url, "select c.rank, t.spotify_id, c.source_playlist from chart_top50 c "
                      "join track t on t.id = c.track_id where c.chart_date = :day order by c.rank",
                 day=date.fromisoformat(day))


def test_top50_writes_ranked_rows_and_is_idempotent_per_day(db_url, spotify):
    spotify.max_page_size = 7
    playlist = spotify.catalog.playlists[TOP50_PLAYLIST_ID]
    report = import_top50(DAY, database_url=db_url)
    assert report == {"day": DAY, "playlist": TOP50_PLAYLIST_ID, "ranks": 50, "tracks_inserted": 50,
                      "artists_inserted": report["artists_inserted"]}
    expected = [(rank, sid, TOP50_PLAYLIST_ID) for rank, sid in enumerate(playlist, start=1)]
    assert chart(db_url, DAY) == expected
    listed = {t for ids in spotify.catalog.genre_tracks.values() for t in ids}
    chart_only = next(t for t in playlist if t not in listed)
    assert genres_of(db_url, chart_only) == ["k-pop"]  # from its artist's genres, kept to the catalog's

    before = snapshot(db_url)
    again = import_top50(DAY, database_url=db_url)
    assert (again["ranks"], again["tracks_inserted"]) == (50, 0)
    assert snapshot(db_url) == before
    import_top50("2024-05-02", database_url=db_url)
    assert scalar(db_url, "select count(*) from chart_top50") == 100


def test_top50_adds_only_unknown_tracks(db_url, spotify):
    ingest_catalog(database_url=db_url)
    before = snapshot(db_url)
    report = import_top50(DAY, database_url=db_url)
    listed = {t for ids in spotify.catalog.genre_tracks.values() for t in ids}
    unknown = [t for t in spotify.catalog.playlists[TOP50_PLAYLIST_ID] if t not in listed]
    assert report["tracks_inserted"] == len(unknown) == 20
    after = snapshot(db_url)
    assert set(before["track"]) <= set(after["track"])  # known tracks are not rewritten
    assert before["track_genre"] == [row for row in after["track_genre"] if row in before["track_genre"]]


@pytest.mark.parametrize("failure", ["missing credentials", "bad playlist", "revoked mid-run"])
def test_failures_leave_stored_data_untouched(db_url, spotify, monkeypatch, failure):
    spotify.max_page_size = 7
    ingest_catalog(["k-pop"], database_url=db_url)
    import_top50(DAY, database_url=db_url)
    before = snapshot(db_url)
    assert len(before["chart_top50"]) == 50
    if failure == "missing credentials":
        monkeypatch.delenv("HZ45_SPOTIFY__CLIENT_SECRET")
        with pytest.raises(SpotifyConfigError):
            import_top50(DAY, database_url=db_url)
        with pytest.raises(SpotifyConfigError):
            ingest_catalog(database_url=db_url)
    elif failure == "bad playlist":
        with pytest.raises(SpotifyNotFound, match="0000000000000000000000"):
            import_top50(DAY, playlist_id="0000000000000000000000", database_url=db_url)
    else:
        spotify.revoke_access(after=3)  # three pages of the playlist, then a 401
        with pytest.raises(SpotifyAuthError):
            import_top50(DAY, database_url=db_url)
        spotify.revoke_access(after=4)
        spotify.reject_credentials = False
        with pytest.raises(SpotifyAuthError):
            ingest_catalog(database_url=db_url)
    assert snapshot(db_url) == before
