"""Playlist mutations: createPlaylist, addToPlaylist, removeFromPlaylist (own playlists only)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import Info

from api.accounts.permissions import IsAuthenticated
from api.accounts.viewer import require_viewer
from api.context import Context
from api.playlists.types import Playlist
from domain.playlists import queries as data

PlaylistId = Annotated[strawberry.ID | None, strawberry.argument(
    description="Your playlist to change; your default playlist when left out.")]


@strawberry.type
class PlaylistMutation:
    @strawberry.mutation(description="Create an empty playlist; names are unique per user.",
                         permission_classes=[IsAuthenticated])
    async def create_playlist(self, info: Info[Context, None], name: str) -> Playlist:
        user = await require_viewer(info)
        return Playlist.from_model(await info.context.run(data.create_playlist, user.id, name))

    @strawberry.mutation(description="Add a track with a rating (0–5); adding it again updates the rating.",
                         permission_classes=[IsAuthenticated])
    async def add_to_playlist(
        self, info: Info[Context, None], track_id: strawberry.ID, rating: int,
        playlist_id: PlaylistId = None,
    ) -> Playlist:
        user = await require_viewer(info)
        row = await info.context.run(data.add_item, user.id, track_id, rating, playlist_id)
        return Playlist.from_model(row)

    @strawberry.mutation(description="Remove a track from a playlist (no change if it is not there).",
                         permission_classes=[IsAuthenticated])
    async def remove_from_playlist(
        self, info: Info[Context, None], track_id: strawberry.ID,
        playlist_id: PlaylistId = None,
    ) -> Playlist:
        user = await require_viewer(info)
        row = await info.context.run(data.remove_item, user.id, track_id, playlist_id)
        return Playlist.from_model(row)
