"""Spotify ingestion jobs (SPEC §5, §6): the catalog by genre and the daily Top 50.

Both jobs read everything they need from the API before writing anything, so a run that fails
(missing credentials, a revoked token, an unknown playlist) leaves the stored data as it was.
Both are idempotent: running them twice leaves the same rows. When they add tracks, the trained
engines that learn from the catalog are queued for retraining (:mod:`jobs.catalog_changes`), and
the report lists those jobs under ``retrain_jobs``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime

import sqlalchemy as sa
from spotipy import Spotify
from sqlalchemy.engine import Engine

from domain.catalog.store import ArtistRecord, TrackRecord, upsert_catalog
from domain.catalog.tables import AUDIO_FEATURE_COLUMNS, AudioFeatures, Genre, Track, TrackGenre
from domain.charts.tables import ChartTop50
from domain.settings import Settings
from domain.sql import chunked
from jobs.catalog_changes import queue_catalog_retrain
from jobs.context import JobContext, job_context
from jobs.spotify.client import (
    SpotifyError,
    fetch_artists,
    fetch_audio_features,
    playlist_tracks,
    search_genre_tracks,
    spotify_client,
)

log = logging.getLogger(__name__)

TOP50_SIZE = 50
_INTEGER_FEATURES = ("key", "mode", "time_signature")


@contextmanager
def _spotify_job(name: str, database_url: str | None) -> Iterator[tuple[Settings, Spotify, Engine]]:
    """Settings, a Spotify client and a database engine; Spotify failures are logged."""
    try:
        with job_context(database_url) as job:
            yield job.settings, spotify_client(job.settings.spotify), job.engine
    except SpotifyError as exc:
        log.error("%s failed: %s", name, exc)
        raise


def ingest_catalog(genres: list[str] | None = None, limit_per_genre: int = 50,
                   database_url: str | None = None) -> dict:
    """Job: store up to ``limit_per_genre`` tracks of each genre with their artists and audio features.

    ``genres`` defaults to the configured ones. Tracks whose audio features are not served
    are kept with ``audio_features_status="unavailable"``. Returns counts.
    """
    if limit_per_genre < 1:
        raise ValueError("limit_per_genre must be at least 1")
    with _spotify_job("ingest_catalog", database_url) as (settings, sp, engine):
        genres = list(dict.fromkeys(genres or settings.spotify.genres))
        found: dict[str, dict] = {}
        genres_found: dict[str, list[str]] = {}
        for genre in genres:
            for track in search_genre_tracks(sp, genre, limit_per_genre):
                found.setdefault(track["id"], track)
                listed = genres_found.setdefault(track["id"], [])
                if genre not in listed:
                    listed.append(genre)
        records = _track_records(sp, list(found.values()), lambda track, _: genres_found[track["id"]])
        _merge_stored(engine, records)
        counts = upsert_catalog(engine, records)
        report = {
            "genres": len(genres), "tracks": len(records), "tracks_inserted": counts.tracks_inserted,
            "tracks_updated": counts.tracks_updated, "artists_inserted": counts.artists_inserted,
            "audio_features": sum(r.audio_features is not None for r in records),
            "audio_features_unavailable": sum(r.audio_features_status == "unavailable" for r in records),
        }
        _queue_retrain(report, settings, engine, counts.tracks_inserted)
    log.info("ingest_catalog: %s", report)
    return report


def import_top50(day: str | None = None, playlist_id: str | None = None,
                 database_url: str | None = None) -> dict:
    """Job: replace the Top 50 of ``day`` (YYYY-MM-DD, default today in UTC) with a playlist's tracks.

    ``playlist_id`` defaults to the configured "Top 50 — South Korea". Tracks not yet in the
    catalog are stored first. The day's rows are replaced in one transaction. Returns counts.
    """
    chart_day = date.fromisoformat(day) if day else datetime.now(UTC).date()
    with _spotify_job("import_top50", database_url) as (settings, sp, engine):
        playlist_id = playlist_id or settings.spotify.top50_playlist_id
        tracks = playlist_tracks(sp, playlist_id)[:TOP50_SIZE]
        if not tracks:
            raise SpotifyError(f"Spotify playlist {playlist_id} has no tracks; the Top 50 of "
                               f"{chart_day} is left as it was")
        known = _stored_track_ids(engine, [t["id"] for t in tracks])
        unknown = list({t["id"]: t for t in tracks if t["id"] not in known}.values())
        catalog_genres = set(settings.spotify.genres)
        records = _track_records(sp, unknown, lambda _, artists: list(dict.fromkeys(
            g for a in artists for g in a.genres or () if g in catalog_genres)))
        counts = upsert_catalog(engine, records)
        track_ids = _stored_track_ids(engine, [t["id"] for t in tracks])
        rows = [{"chart_date": chart_day, "rank": rank, "track_id": track_ids[t["id"]],
                 "source_playlist": playlist_id} for rank, t in enumerate(tracks, start=1)]
        with engine.begin() as conn:
            conn.execute(sa.delete(ChartTop50).where(ChartTop50.chart_date == chart_day))
            conn.execute(sa.insert(ChartTop50), rows)
        report = {"day": chart_day.isoformat(), "playlist": playlist_id, "ranks": len(rows),
                  "tracks_inserted": counts.tracks_inserted, "artists_inserted": counts.artists_inserted}
        _queue_retrain(report, settings, engine, counts.tracks_inserted)
    log.info("import_top50: %s", report)
    return report


def _queue_retrain(report: dict, settings: Settings, engine: Engine, tracks_inserted: int) -> None:
    """Queue the retraining that gives new tracks their clusters; name the jobs in ``report``."""
    queued = queue_catalog_retrain(JobContext(settings, engine), tracks_inserted)
    if queued:
        report["retrain_jobs"] = queued


def _track_records(sp: Spotify, tracks: Sequence[dict],
                   genres_for: Callable[[dict, list[ArtistRecord]], list[str]]) -> list[TrackRecord]:
    """Catalog records for API track objects, with their artists' details and audio features."""
    artist_ids = [a["id"] for t in tracks for a in t.get("artists", ()) if a.get("id")]
    artists = fetch_artists(sp, artist_ids) if artist_ids else {}
    features = fetch_audio_features(sp, [t["id"] for t in tracks]) if tracks else {}
    records = []
    for track in tracks:
        track_artists = [_artist_record(a, artists.get(a["id"]))
                         for a in track.get("artists", ()) if a.get("id")]
        audio = _audio_features(features.get(track["id"]))
        album = track.get("album") or {}
        records.append(TrackRecord(
            spotify_id=track["id"], name=track["name"], artists=track_artists,
            genres=genres_for(track, track_artists), album=album.get("name"),
            release_date=(album.get("release_date") or None) and album["release_date"][:10],
            popularity=track.get("popularity") or 0, duration_ms=track.get("duration_ms"),
            explicit=bool(track.get("explicit")), preview_url=track.get("preview_url"),
            spotify_uri=track.get("uri"), audio_features=audio,
            audio_features_status="ok" if audio else "unavailable",
        ))
    return records


def _artist_record(simple: dict, full: dict | None) -> ArtistRecord:
    if full is None:  # details not served: store the name only, keep any known details
        return ArtistRecord(simple["id"], simple["name"])
    return ArtistRecord(full["id"], full["name"], list(full.get("genres") or []),
                        full.get("popularity"), (full.get("followers") or {}).get("total"))


def _audio_features(obj: dict | None) -> dict[str, float] | None:
    if not obj or any(obj.get(c) is None for c in AUDIO_FEATURE_COLUMNS):
        return None
    return {c: int(obj[c]) if c in _INTEGER_FEATURES else float(obj[c]) for c in AUDIO_FEATURE_COLUMNS}


def _stored_track_ids(engine: Engine, spotify_ids: Sequence[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    with engine.connect() as conn:
        for chunk in chunked(dict.fromkeys(spotify_ids)):
            rows = conn.execute(sa.select(Track.spotify_id, Track.id).where(Track.spotify_id.in_(chunk)))
            ids.update({spotify_id: track_id for spotify_id, track_id in rows})
    return ids


def _merge_stored(engine: Engine, records: list[TrackRecord]) -> None:
    """Keep what the catalog already knows of these tracks: other genres (the primary one
    first) and stored audio features, which a refused audio-features request must not hide."""
    genres: dict[str, list[str]] = {}
    with_features: set[str] = set()
    with engine.connect() as conn:
        for chunk in chunked(r.spotify_id for r in records):
            rows = conn.execute(
                sa.select(Track.spotify_id, Genre.name)
                .join(TrackGenre, TrackGenre.track_id == Track.id)
                .join(Genre, Genre.id == TrackGenre.genre_id)
                .where(Track.spotify_id.in_(chunk))
                .order_by(Track.spotify_id, TrackGenre.is_primary.desc(), Genre.name))
            for spotify_id, name in rows:
                genres.setdefault(spotify_id, []).append(name)
            with_features.update(conn.execute(
                sa.select(Track.spotify_id).join(AudioFeatures, AudioFeatures.track_id == Track.id)
                .where(Track.spotify_id.in_(chunk))).scalars())
    for record in records:
        record.genres = list(dict.fromkeys(genres.get(record.spotify_id, []) + record.genres))
        if record.audio_features is None and record.spotify_id in with_features:
            record.audio_features_status = "ok"
