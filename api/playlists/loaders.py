"""Per-request DataLoaders of the account domain, registered on first use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session
from strawberry import Info
from strawberry.dataloader import DataLoader

from api.context import Context
from domain.playlists.queries import playlists_by_id, ratings_by_track


def _loader(info: Info[Context, None], name: str, batch: Callable[[Session, Sequence[Any]], list[Any]]) -> DataLoader:
    loaders = info.context.loaders
    return getattr(loaders, name, None) or loaders.add(name, batch)


def playlist_loader(info: Info[Context, None]) -> DataLoader:
    """Playlists by database id."""
    return _loader(info, "playlist", playlists_by_id)


def rating_loader(info: Info[Context, None], user_id: int) -> DataLoader:
    """The signed-in user's rating by track id (one user per request)."""
    return _loader(info, "my_rating", lambda session, track_ids: ratings_by_track(session, user_id, track_ids))
