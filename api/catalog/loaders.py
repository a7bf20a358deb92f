"""Batch loaders for nested fields, so a page of tracks costs a fixed number of queries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlmodel import Session
from strawberry.dataloader import DataLoader

from domain.catalog.queries import artists_by_id, artists_by_track, features_by_track, genres_by_track, tracks_by_id

Runner = Callable[..., Awaitable[Any]]


class SharedLoader(DataLoader):
    """A DataLoader whose answers survive a cancelled caller.

    Fields that ask for the same key wait for one future; when graphql-core cancels one of
    them (a sibling field failed), the shield keeps that future, and the others' answer, alive.
    """

    def load(self, key: Any) -> Awaitable[Any]:
        return asyncio.shield(super().load(key))


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

        return SharedLoader(load_fn=load)

    def add(self, name: str, batch: Callable[[Session, Sequence[Any]], list[Any]]) -> DataLoader:
        """Register another loader (used by other domains, e.g. the user's ratings)."""
        loader = self._loader(batch)
        setattr(self, name, loader)
        return loader
