"""Playlist queries: myPlaylists, playlist."""

from __future__ import annotations

import strawberry
from strawberry import Info

from api.accounts.permissions import IsAuthenticated
from api.accounts.viewer import require_viewer
from api.context import Context
from api.pagination import Connection, decode_cursor, encode_cursor, page_size
from api.playlists.permissions import CanReadPlaylist, load_playlist
from api.playlists.types import Playlist, PlaylistKind
from domain.playlists import queries as data


@strawberry.type
class PlaylistQuery:
    @strawberry.field(description=(
        "The signed-in user's playlists, the default one first, generated ones (daily mix, weekly "
        "exploration) included; `kind` keeps one kind."), permission_classes=[IsAuthenticated])
    async def my_playlists(self, info: Info[Context, None], first: int | None = None,
                           after: str | None = None, kind: PlaylistKind | None = None) -> Connection[Playlist]:
        ctx = info.context
        user = await require_viewer(info)
        limit = page_size(first, ctx.settings.api.default_page_size, ctx.settings.api.max_page_size)
        after_id = decode_cursor(after, (int,))[0] if after else None
        kind_value = kind.value if kind is not None else None
        rows, has_next = await ctx.run(data.list_playlists, user.id, limit, after_id, kind_value)

        async def count() -> int:
            return await ctx.run(data.count_playlists, user.id, kind_value)

        return Connection.of([Playlist.from_model(r) for r in rows], [encode_cursor(r.id) for r in rows],
                             has_next=has_next, has_previous=after is not None, count=count)

    @strawberry.field(description="A playlist by id (its owner's or, for admins, anyone's).",
                      permission_classes=[CanReadPlaylist])
    async def playlist(self, info: Info[Context, None], id: strawberry.ID) -> Playlist:
        return Playlist.from_model(await load_playlist(info, id))
