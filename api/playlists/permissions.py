"""Who may read a playlist: its owner, or an admin (``CanReadPlaylist``)."""

from __future__ import annotations

from typing import Any

from strawberry import Info
from strawberry.permission import BasePermission

from api.accounts.viewer import require_viewer
from api.context import Context
from api.playlists.loaders import playlist_loader
from domain.errors import NotFound
from domain.playlists.queries import parse_id
from domain.playlists.tables import Playlist


async def load_playlist(info: Info[Context, None], ident: str, argument: str = "id") -> Playlist:
    """A playlist by GraphQL id through the request's DataLoader (``NOT_FOUND`` if none)."""
    playlist = await playlist_loader(info).load(parse_id(ident, "playlist", argument))
    if playlist is None:
        raise NotFound(f"No playlist with id {ident!r}", argument=argument)
    return playlist


class CanReadPlaylist(BasePermission):
    """The playlist named by the ``id`` argument is the viewer's own, or the viewer is an admin."""

    message = "This playlist belongs to another user"
    error_extensions = {"code": "FORBIDDEN"}

    async def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        user = await require_viewer(info)
        playlist = await load_playlist(info, kwargs["id"])
        return playlist.user_id == user.id or user.is_admin
