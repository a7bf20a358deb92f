"""Playlists and their rated items: reads, and the changes a user makes to their own."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from domain.accounts.users import DEFAULT_PLAYLIST_NAME
from domain.catalog import queries as catalog
from domain.columns import utcnow
from domain.errors import Forbidden, NotFound
from domain.playlists.tables import USER_MADE, Playlist, PlaylistItem
from domain.sql import upsert
from domain.validation import Violation, check, db_id

MAX_NAME_LENGTH = 200
MIN_RATING, MAX_RATING = 0, 5


def parse_id(value: str | int, what: str, argument: str) -> int:
    """A database id from a GraphQL ID; anything else is a ``NOT_FOUND`` error."""
    text = str(value)
    number = db_id(text)
    if number is None:
        raise NotFound(f"No {what} with id {text!r}", argument=argument)
    return number


def playlists_by_id(session: Session, ids: Sequence[int]) -> list[Playlist | None]:
    """Playlists by primary key, or None."""
    rows = session.exec(select(Playlist).where(Playlist.id.in_(ids))).all()
    by_id = {row.id: row for row in rows}
    return [by_id.get(i) for i in ids]


def ratings_by_track(session: Session, user_id: int, track_ids: Sequence[int]) -> list[int | None]:
    """The user's rating of each track; across several playlists the latest added wins
    (the rule the training snapshot uses). Generated playlists hold no ratings."""
    rows = session.exec(
        select(PlaylistItem.track_id, PlaylistItem.rating)
        .join(Playlist, Playlist.id == PlaylistItem.playlist_id)
        .where(Playlist.user_id == user_id, Playlist.kind == USER_MADE, PlaylistItem.track_id.in_(track_ids))
        .order_by(PlaylistItem.added_at, PlaylistItem.id)
    ).all()
    latest = dict(rows)  # later rows overwrite earlier ones
    return [latest.get(t) for t in track_ids]


def _of_user(user_id: int, kind: str | None):
    where = [Playlist.user_id == user_id]
    return where if kind is None else [*where, Playlist.kind == kind]


def list_playlists(session: Session, user_id: int, limit: int, after_id: int | None,
                   kind: str | None = None) -> tuple[list[Playlist], bool]:
    """A page of the user's playlists (of ``kind``, or all) in creation order (the default one
    first) and whether more follow."""
    statement = select(Playlist).where(*_of_user(user_id, kind))
    if after_id is not None:
        statement = statement.where(Playlist.id > after_id)
    rows = session.exec(statement.order_by(Playlist.id).limit(limit + 1)).all()
    return list(rows[:limit]), len(rows) > limit


def count_playlists(session: Session, user_id: int, kind: str | None = None) -> int:
    """How many playlists (of ``kind``, or all) the user has."""
    return session.exec(select(func.count()).where(*_of_user(user_id, kind))).one()


def list_items(session: Session, playlist_id: int, limit: int, before_id: int | None,
               by_position: bool = False) -> tuple[list[PlaylistItem], bool]:
    """A page of a playlist's items and whether more follow: most recently added first, or in
    their order (``by_position``, generated playlists; ``before_id`` is then the last position seen)."""
    statement = select(PlaylistItem).where(PlaylistItem.playlist_id == playlist_id)
    if by_position:
        if before_id is not None:
            statement = statement.where(PlaylistItem.position > before_id)
        statement = statement.order_by(PlaylistItem.position)
    else:
        if before_id is not None:
            statement = statement.where(PlaylistItem.id < before_id)
        statement = statement.order_by(PlaylistItem.id.desc())
    rows = session.exec(statement.limit(limit + 1)).all()
    return list(rows[:limit]), len(rows) > limit


def count_items(session: Session, playlist_id: int) -> int:
    """How many tracks a playlist holds."""
    return session.exec(select(func.count()).where(PlaylistItem.playlist_id == playlist_id)).one()


def default_playlist(session: Session, user_id: int) -> Playlist:
    """The user's default playlist, created if the account has none yet."""
    playlist = session.exec(select(Playlist).where(Playlist.user_id == user_id, Playlist.is_default,
                                                   Playlist.kind == USER_MADE)).first()
    if playlist is None:
        playlist = Playlist(user_id=user_id, name=DEFAULT_PLAYLIST_NAME, is_default=True)
        session.add(playlist)
        session.flush()
    return playlist


def owned_playlist(session: Session, user_id: int, playlist_id: str | None) -> Playlist:
    """The user's playlist ``playlist_id`` (their default one when None), for changing it."""
    if playlist_id is None:
        return default_playlist(session, user_id)
    playlist = session.get(Playlist, parse_id(playlist_id, "playlist", "playlistId"))
    if playlist is None:
        raise NotFound(f"No playlist with id {playlist_id!r}", argument="playlistId")
    if playlist.user_id != user_id:
        raise Forbidden("Only the owner may change a playlist", argument="playlistId")
    if playlist.kind != USER_MADE:
        raise Forbidden(f"{playlist.name!r} is generated by 4.5Hz and read-only; add the track to one of "
                        "your own playlists instead", argument="playlistId")
    return playlist


def _name_violations(session: Session, user_id: int, name: str) -> list[Violation]:
    if not name:
        return [Violation("name", "REQUIRED", "The playlist name must not be empty.")]
    if len(name) > MAX_NAME_LENGTH or not name.isprintable():
        return [Violation("name", "FORMAT",
                          f"The playlist name must be at most {MAX_NAME_LENGTH} printable characters.")]
    taken = session.exec(select(Playlist.id).where(Playlist.user_id == user_id, Playlist.name == name)).first()
    return [_taken(name)] if taken is not None else []


def _taken(name: str) -> Violation:
    return Violation("name", "TAKEN", f"You already have a playlist named {name!r}.")


def create_playlist(session: Session, user_id: int, name: str) -> Playlist:
    """A new, empty playlist of the user; names are unique per user."""
    name = name.strip()
    check("Cannot create the playlist", _name_violations(session, user_id, name))
    playlist = Playlist(user_id=user_id, name=name)
    session.add(playlist)
    try:
        session.flush()
    except IntegrityError:  # created concurrently under the same name
        session.rollback()
        check("Cannot create the playlist", [_taken(name)])
    return playlist


def _track_id(session: Session, track_id: str) -> int:
    track = catalog.find_track(session, str(track_id))
    if track is None:
        raise NotFound(f"No track with id {track_id!r}", argument="trackId")
    return track.id


def _upsert(session: Session, playlist_id: int, track_id: int, rating: int) -> None:
    statement = upsert(session, PlaylistItem, ["playlist_id", "track_id"], ["rating"])
    session.execute(statement.values(playlist_id=playlist_id, track_id=track_id, rating=rating, added_at=utcnow()))


def add_item(session: Session, user_id: int, track_id: str, rating: int, playlist_id: str | None) -> Playlist:
    """Put a rated track in the user's playlist; re-adding a track updates its rating."""
    if not MIN_RATING <= rating <= MAX_RATING:
        check("Cannot add the track", [Violation(
            "rating", "RANGE", f"The rating must be a whole number from {MIN_RATING} to {MAX_RATING}, got {rating}.")])
    playlist = owned_playlist(session, user_id, playlist_id)
    _upsert(session, playlist.id, _track_id(session, track_id), rating)
    return playlist


def remove_item(session: Session, user_id: int, track_id: str, playlist_id: str | None) -> Playlist:
    """Take a track out of the user's playlist (nothing happens if it is not there)."""
    playlist = owned_playlist(session, user_id, playlist_id)
    session.execute(sa.delete(PlaylistItem).where(PlaylistItem.playlist_id == playlist.id,
                                                  PlaylistItem.track_id == _track_id(session, track_id)))
    return playlist
