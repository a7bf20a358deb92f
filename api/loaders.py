"""Batch loaders for nested fields, so a page of tracks costs a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlmodel import Session, select
from strawberry.dataloader import DataLoader

from api.models import Artist, AudioFeatures, Genre, Track, TrackArtist, TrackGenre

Runner = Callable[..., Awaitable[Any]]


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


class Loaders:
    """The DataLoaders of one request; ``run`` executes a batch function off the event loop."""

    def __init__(self, run: Runner) -> None:
        self._run = run
        self.artists_by_track = self._loader(artists_by_track)
        self.genres_by_track = self._loader(genres_by_track)
        self.features_by_track = self._loader(features_by_track)
        self.track = self._loader(tracks_by_id)
        self.artist = self._loader(artists_by_id)

    def _loader(self, batch: Callable[[Session, Sequence[Any]], list[Any]]) -> DataLoader:
        async def load(keys: list[Any]) -> list[Any]:
            return await self._run(batch, list(keys))

        return DataLoader(load_fn=load)

    def add(self, name: str, batch: Callable[[Session, Sequence[Any]], list[Any]]) -> DataLoader:
        """Register another loader (used by other domains, e.g. the user's ratings)."""
        loader = self._loader(batch)
        setattr(self, name, loader)
        return loader
