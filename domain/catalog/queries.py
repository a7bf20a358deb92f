"""Catalog reads: track lookup, search and genre browse with keyset pagination."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, func, select

from domain.catalog.search import search_condition
from domain.catalog.tables import Artist, AudioFeatures, Genre, Track, TrackArtist, TrackGenre
from domain.validation import db_id

_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


@dataclass
class TrackPage:
    tracks: list[Track]
    keys: list[tuple[int, int]]
    has_next: bool


def find_track(session: Session, ident: str) -> Track | None:
    """A track by database id or Spotify id."""
    if (numeric := db_id(ident)) is not None:
        return session.get(Track, numeric)
    if _SPOTIFY_ID.match(ident):
        return session.exec(select(Track).where(Track.spotify_id == ident)).first()
    return None


def find_artist(session: Session, ident: str) -> Artist | None:
    """An artist by database id or Spotify id."""
    if (numeric := db_id(ident)) is not None:
        return session.get(Artist, numeric)
    return session.exec(select(Artist).where(Artist.spotify_id == ident)).first()


def genre_id(session: Session, name: str) -> int | None:
    """The id of genre ``name``."""
    return session.exec(select(Genre.id).where(Genre.name == name)).first()


def _filtered(search: str | None, genre: int | None, artist: int | None):
    """The ordered statement and the (popularity, id) sort columns for a track listing."""
    if genre is not None:
        # Browse: index-only on track_genre(genre_id, popularity, track_id).
        popularity, ident = TrackGenre.popularity, TrackGenre.track_id
        statement = select(Track).join(TrackGenre, TrackGenre.track_id == Track.id).where(
            TrackGenre.genre_id == genre
        )
    else:
        popularity, ident = Track.popularity, Track.id
        statement = select(Track)
    if artist is not None:
        statement = statement.where(
            Track.id.in_(select(TrackArtist.track_id).where(TrackArtist.artist_id == artist))
        )
    if search:
        statement = statement.where(search_condition(ident, search))
    return statement, popularity, ident


def list_tracks(
    session: Session,
    *,
    limit: int,
    after: tuple[int, int] | None = None,
    search: str | None = None,
    genre: int | None = None,
    artist: int | None = None,
) -> TrackPage:
    """A page of tracks by popularity (most popular first), after a ``(popularity, id)`` key."""
    statement, popularity, ident = _filtered(search, genre, artist)
    if after is not None:
        statement = statement.where(sa.tuple_(popularity, ident) < sa.tuple_(*after))
    rows = session.exec(statement.order_by(popularity.desc(), ident.desc()).limit(limit + 1)).all()
    tracks = list(rows[:limit])
    return TrackPage(tracks, [(t.popularity, t.id) for t in tracks], len(rows) > limit)


def count_tracks(session: Session, *, search=None, genre=None, artist=None) -> int:
    """How many tracks a listing has in all."""
    statement, _, _ = _filtered(search, genre, artist)
    return session.exec(select(func.count()).select_from(statement.subquery())).one()


def genre_counts(session: Session) -> list[tuple[str, int]]:
    """Every genre with its number of tracks, largest first."""
    rows = session.exec(
        select(Genre.name, func.count(TrackGenre.track_id))
        .join(TrackGenre, TrackGenre.genre_id == Genre.id)
        .group_by(Genre.name)
        .order_by(func.count(TrackGenre.track_id).desc(), Genre.name)
    ).all()
    return [(name, count) for name, count in rows]


def artists_by_track(session: Session, track_ids: Sequence[int]) -> list[list[Artist]]:
    """Each track's artists in credit order."""
    rows = session.exec(
        select(TrackArtist.track_id, Artist)
        .join(Artist, Artist.id == TrackArtist.artist_id)
        .where(TrackArtist.track_id.in_(track_ids))
        .order_by(TrackArtist.track_id, TrackArtist.position)
    ).all()
    grouped: dict[int, list[Artist]] = defaultdict(list)
    for track_id, artist in rows:
        grouped[track_id].append(artist)
    return [grouped.get(t, []) for t in track_ids]


def genres_by_track(session: Session, track_ids: Sequence[int]) -> list[list[str]]:
    """Each track's genre names, primary first."""
    rows = session.exec(
        select(TrackGenre.track_id, Genre.name)
        .join(Genre, Genre.id == TrackGenre.genre_id)
        .where(TrackGenre.track_id.in_(track_ids))
        .order_by(TrackGenre.track_id, TrackGenre.is_primary.desc(), Genre.name)
    ).all()
    grouped: dict[int, list[str]] = defaultdict(list)
    for track_id, name in rows:
        grouped[track_id].append(name)
    return [grouped.get(t, []) for t in track_ids]


def features_by_track(session: Session, track_ids: Sequence[int]) -> list[AudioFeatures | None]:
    """Each track's audio features, or None."""
    rows = session.exec(select(AudioFeatures).where(AudioFeatures.track_id.in_(track_ids))).all()
    by_id = {row.track_id: row for row in rows}
    return [by_id.get(t) for t in track_ids]


def tracks_by_id(session: Session, track_ids: Sequence[int]) -> list[Track | None]:
    """Tracks by primary key, or None."""
    rows = session.exec(select(Track).where(Track.id.in_(track_ids))).all()
    by_id = {row.id: row for row in rows}
    return [by_id.get(t) for t in track_ids]


def artists_by_id(session: Session, artist_ids: Sequence[int]) -> list[Artist | None]:
    """Artists by primary key, or None."""
    rows = session.exec(select(Artist).where(Artist.id.in_(artist_ids))).all()
    by_id = {row.id: row for row in rows}
    return [by_id.get(a) for a in artist_ids]
