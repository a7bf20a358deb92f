"""Batch upsert of catalog records (tracks, artists, genres, audio features).

Used by the CSV import, Spotify ingestion and the demo generator. Upserts are keyed by Spotify
id, run in batches with executemany (no row-by-row round trips) and are idempotent: importing
the same records twice leaves the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain.catalog.search import track_tokens
from domain.catalog.tables import (
    AUDIO_FEATURE_COLUMNS,
    Artist,
    AudioFeatures,
    Genre,
    Track,
    TrackArtist,
    TrackGenre,
    TrackSearchToken,
)
from domain.columns import utcnow
from domain.sql import chunked, upsert


@dataclass
class ArtistRecord:
    spotify_id: str
    name: str
    genres: list[str] | None = None
    popularity: int | None = None
    followers: int | None = None


@dataclass
class TrackRecord:
    """One track to store; ``genres`` lists the primary genre first."""

    spotify_id: str
    name: str
    artists: list[ArtistRecord]
    genres: list[str] = field(default_factory=list)
    album: str | None = None
    release_date: str | None = None
    popularity: int = 0
    duration_ms: int | None = None
    explicit: bool = False
    preview_url: str | None = None
    spotify_uri: str | None = None
    audio_features: dict[str, float] | None = None
    audio_features_status: str = "ok"


@dataclass
class UpsertCounts:
    tracks_inserted: int = 0
    tracks_updated: int = 0
    artists_inserted: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.tracks_inserted += other.tracks_inserted
        self.tracks_updated += other.tracks_updated
        self.artists_inserted += other.artists_inserted


def artist_id_from_name(name: str) -> str:
    """A stable stand-in Spotify id for an artist known only by name (CSV imports)."""
    return "name:" + hashlib.sha1(name.strip().casefold().encode()).hexdigest()[:20]


def upsert_catalog(engine: Engine, records: Iterable[TrackRecord], batch_size: int = 5000) -> UpsertCounts:
    """Insert or update ``records`` in batches, each batch in its own transaction."""
    total = UpsertCounts()
    for batch in chunked(records, batch_size):
        with engine.begin() as conn:
            total.add(_upsert_batch(conn, batch))
    return total


def _id_map(conn: Connection, column_key, id_column, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunked(keys):
        rows = conn.execute(sa.select(column_key, id_column).where(column_key.in_(chunk)))
        found.update({key: ident for key, ident in rows})
    return found


def ensure_genres(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Genre ids by name, creating the missing genres."""
    names = sorted(set(names))
    ids = _id_map(conn, Genre.name, Genre.id, names)
    missing = [{"name": n} for n in names if n not in ids]
    if missing:
        conn.execute(sa.insert(Genre), missing)
        ids = _id_map(conn, Genre.name, Genre.id, names)
    return ids


def _ensure_artists(conn: Connection, batch: list[TrackRecord]) -> tuple[dict[str, int], int]:
    artists: dict[str, ArtistRecord] = {}
    for record in batch:
        for artist in record.artists:
            artists[artist.spotify_id] = artist
    ids = _id_map(conn, Artist.spotify_id, Artist.id, list(artists))
    new = [
        {"spotify_id": a.spotify_id, "name": a.name, "genres": a.genres or [],
         "popularity": a.popularity, "followers": a.followers}
        for key, a in artists.items() if key not in ids
    ]
    if new:
        conn.execute(sa.insert(Artist), new)
    # Refresh details we now know better (e.g. from the Spotify API), never blank them out.
    updates = [
        {"b_id": ids[key], "name": a.name, "genres": a.genres, "popularity": a.popularity,
         "followers": a.followers}
        for key, a in artists.items() if key in ids and a.genres is not None
    ]
    if updates:
        table = Artist.__table__
        conn.execute(
            table.update().where(table.c.id == sa.bindparam("b_id")).values(
                name=sa.bindparam("name"), genres=sa.bindparam("genres"),
                popularity=sa.bindparam("popularity"), followers=sa.bindparam("followers"),
            ),
            updates,
        )
    if new:
        ids = _id_map(conn, Artist.spotify_id, Artist.id, list(artists))
    return ids, len(new)


def _track_row(record: TrackRecord, genre_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "spotify_id": record.spotify_id,
        "name": record.name,
        "album": record.album,
        "release_date": record.release_date,
        "popularity": int(record.popularity),
        "duration_ms": record.duration_ms,
        "explicit": bool(record.explicit),
        "primary_genre_id": genre_ids[record.genres[0]] if record.genres else None,
        "preview_url": record.preview_url,
        "spotify_uri": record.spotify_uri,
        "audio_features_status": record.audio_features_status,
        "updated_at": utcnow(),
    }


def _upsert_batch(conn: Connection, batch: list[TrackRecord]) -> UpsertCounts:
    # A later record with the same Spotify id wins within one batch.
    batch = list({r.spotify_id: r for r in batch}.values())
    genre_ids = ensure_genres(conn, (g for r in batch for g in r.genres))
    artist_ids, artists_inserted = _ensure_artists(conn, batch)

    existing = _id_map(conn, Track.spotify_id, Track.id, [r.spotify_id for r in batch])
    new_rows = [_track_row(r, genre_ids) for r in batch if r.spotify_id not in existing]
    if new_rows:
        conn.execute(sa.insert(Track), new_rows)
    changed = [{**_track_row(r, genre_ids), "b_id": existing[r.spotify_id]}
               for r in batch if r.spotify_id in existing]
    if changed:
        table = Track.__table__
        values = {k: sa.bindparam(k) for k in changed[0] if k not in ("b_id", "spotify_id")}
        conn.execute(table.update().where(table.c.id == sa.bindparam("b_id")).values(**values), changed)
    track_ids = _id_map(conn, Track.spotify_id, Track.id, [r.spotify_id for r in batch])

    _replace_links(conn, batch, track_ids, artist_ids, genre_ids)
    _upsert_audio_features(conn, batch, track_ids)
    return UpsertCounts(len(new_rows), len(changed), artists_inserted)


def _replace_links(conn, batch, track_ids, artist_ids, genre_ids) -> None:
    ids = list(track_ids.values())
    for table in (TrackArtist.__table__, TrackGenre.__table__, TrackSearchToken.__table__):
        for chunk in chunked(ids):
            conn.execute(table.delete().where(table.c.track_id.in_(chunk)))
    artist_rows, genre_rows, token_rows = [], [], []
    for record in batch:
        track_id = track_ids[record.spotify_id]
        seen_artists = set()
        for position, artist in enumerate(record.artists):
            artist_id = artist_ids[artist.spotify_id]
            if artist_id not in seen_artists:
                seen_artists.add(artist_id)
                artist_rows.append({"track_id": track_id, "artist_id": artist_id, "position": position})
        for position, genre in enumerate(dict.fromkeys(record.genres)):
            genre_rows.append({"track_id": track_id, "genre_id": genre_ids[genre],
                               "is_primary": position == 0, "popularity": int(record.popularity)})
        for token in track_tokens(record.name, (a.name for a in record.artists)):
            token_rows.append({"track_id": track_id, "token": token})
    for table, rows in ((TrackArtist, artist_rows), (TrackGenre, genre_rows), (TrackSearchToken, token_rows)):
        if rows:
            conn.execute(sa.insert(table), rows)


def _upsert_audio_features(conn, batch, track_ids) -> None:
    rows = [
        {"track_id": track_ids[r.spotify_id], **{c: r.audio_features[c] for c in AUDIO_FEATURE_COLUMNS}}
        for r in batch if r.audio_features
    ]
    if not rows:
        return
    # Derived columns (pca_x, pca_y, gmm_cluster) are the content engine's; keep them.
    conn.execute(upsert(conn, AudioFeatures, ["track_id"], AUDIO_FEATURE_COLUMNS), rows)
