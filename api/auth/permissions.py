"""GraphQL permissions: who may read or change accounts, playlists and plays.

Anonymous callers browse the catalog; everything personal needs a signed-in user. A user
reads and changes only their own playlists and plays; an admin may read anyone's.
"""

from __future__ import annotations

from typing import Any

from strawberry import Info
from strawberry.permission import BasePermission

from api.account_loaders import playlist_loader
from api.admin import IsAdmin
from api.errors import NotFound
from api.models import Playlist
from api.playlists import parse_id
from api.viewer import require_viewer, viewer

__all__ = ["CanReadPlaylist", "IsAdmin", "IsAuthenticated", "load_playlist"]


class IsAuthenticated(BasePermission):
    """Signed-in users only (``UNAUTHENTICATED`` otherwise)."""

    message = "Sign in to see this (Authorization: Bearer <token>)"
    error_extensions = {"code": "UNAUTHENTICATED"}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return await viewer(info) is not None


async def load_playlist(info: Info, ident: str, argument: str = "id") -> Playlist:
    """A playlist by GraphQL id through the request's DataLoader (``NOT_FOUND`` if none)."""
    playlist = await playlist_loader(info).load(parse_id(ident, "playlist", argument))
    if playlist is None:
        raise NotFound(f"No playlist with id {ident!r}", argument=argument)
    return playlist


class CanReadPlaylist(BasePermission):
    """The playlist named by the ``id`` argument is the viewer's own, or the viewer is an admin."""

    message = "This playlist belongs to another user"
    error_extensions = {"code": "FORBIDDEN"}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        user = await require_viewer(info)
        playlist = await load_playlist(info, kwargs["id"])
        return playlist.user_id == user.id or user.is_admin
