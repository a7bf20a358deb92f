"""The listening log: validating and storing plays, and their event-log lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.tables import User
from domain.catalog.tables import Artist, Genre, Track, TrackArtist, TrackGenre
from domain.plays.event_log import play_record
from domain.plays.tables import PlayEvent
from domain.sql import insert_returning_ids, one_of
from domain.validation import Violation, check, db_id

MAX_BATCH = 500
MAX_SOURCE_LENGTH = 200
# Clients' clocks run a little ahead at times; a play further in the future is refused.
CLOCK_SKEW = timedelta(minutes=1)
CANNOT_RECORD = "Cannot record the plays"
_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")


@dataclass(frozen=True)
class Play:
    """A play as a client reports it: a track id (database or Spotify), source, time."""

    track_id: str
    source: str | None = None
    played_at: datetime | None = None


@dataclass(frozen=True)
class RecordedPlay:
    """A stored play: the row of ``play_event`` as inserted."""

    id: int
    user_id: int
    track_id: int
    played_at: datetime
    source: str | None


def track_ids(session: Session, idents: list[str]) -> dict[str, int]:
    """Database ids of the tracks named by database or Spotify id; unknown ones are left out."""
    idents = list(dict.fromkeys(idents))  # a batch often names a track twice
    numeric = {i: number for i in idents if (number := db_id(i)) is not None}
    spotify = {i for i in idents if _SPOTIFY_ID.fullmatch(i)}
    found: dict[str, int] = {}
    if numeric:
        existing = set(session.exec(select(Track.id).where(one_of(session, Track.id, set(numeric.values())))).all())
        found.update({i: n for i, n in numeric.items() if n in existing})
    if spotify:
        found.update(dict(session.exec(select(Track.spotify_id, Track.id).where(one_of(session, Track.spotify_id, spotify))).all()))
    return found


def _as_utc(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def play_violations(plays: list[Play], known: dict[str, int], now: datetime) -> list[Violation]:
    """Every problem of a batch: unknown tracks, sources too long, plays in the future."""
    found = []
    for index, play in enumerate(plays):
        if play.track_id not in known:
            found.append(Violation("trackId", "UNKNOWN_TRACK", f"No track with id {play.track_id!r}.", index))
        if play.source is not None and len(play.source) > MAX_SOURCE_LENGTH:
            found.append(Violation("source", "TOO_LONG",
                                   f"The source must be at most {MAX_SOURCE_LENGTH} characters.", index))
        if play.played_at is not None and _as_utc(play.played_at, now) > now + CLOCK_SKEW:
            found.append(Violation("playedAt", "IN_FUTURE", "The play time must not be in the future.", index))
    return found


def record_plays(session: Session, user: User, plays: list[Play],
                 now: datetime) -> tuple[list[RecordedPlay], list[dict[str, Any]]]:
    """Store every play or none (``InvalidInput``); returns the events and their log lines."""
    if len(plays) > MAX_BATCH:
        check(CANNOT_RECORD, [Violation("events", "TOO_MANY",
                                        f"At most {MAX_BATCH} plays per call, got {len(plays)}.")])
    known = track_ids(session, [p.track_id for p in plays])
    check(CANNOT_RECORD, play_violations(plays, known, now))
    rows = [{"user_id": user.id, "track_id": known[p.track_id], "played_at": _as_utc(p.played_at, now),
             "source": p.source} for p in plays]
    # One Core statement: the ORM's unit of work costs more than the database here.
    ids = insert_returning_ids(session, PlayEvent.__table__, rows)
    events = [RecordedPlay(id=i, **row) for i, row in zip(ids, rows, strict=True)]
    return events, log_records(session, user, events)


def log_records(session: Session, user: User, events: list[RecordedPlay]) -> list[dict[str, Any]]:
    """The event-log lines of ``events`` (artists and primary genre looked up in one go)."""
    tracks = sorted({e.track_id for e in events})
    artists, genres = _artists_of(session, tracks), _primary_genres(session, tracks)
    return [
        play_record(event_id=e.id, user_id=user.id, gender=user.gender, birth_date=user.birth_date,
                    track_id=e.track_id, artists=artists.get(e.track_id, []), genre=genres.get(e.track_id),
                    played_at=e.played_at, source=e.source)
        for e in events
    ]


def _artists_of(session: Session, tracks: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = session.execute(
        sa.select(TrackArtist.track_id, Artist.id, Artist.name)
        .join(Artist, Artist.id == TrackArtist.artist_id)
        .where(one_of(session, TrackArtist.track_id, tracks))
        .order_by(TrackArtist.track_id, TrackArtist.position)
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for track_id, artist_id, name in rows:
        found.setdefault(track_id, []).append({"id": artist_id, "name": name})
    return found


def _primary_genres(session: Session, tracks: list[int]) -> dict[int, str]:
    """The primary genre of each track (the first by name when none is marked primary)."""
    rows = session.execute(
        sa.select(TrackGenre.track_id, Genre.name)
        .join(Genre, Genre.id == TrackGenre.genre_id)
        .where(one_of(session, TrackGenre.track_id, tracks))
        .order_by(TrackGenre.track_id, TrackGenre.is_primary.desc(), Genre.name)
    ).all()
    found: dict[int, str] = {}
    for track_id, name in rows:
        found.setdefault(track_id, name)
    return found
