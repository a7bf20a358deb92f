"""Playlist types: Playlist, its rated items, and their connections."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import Info

from api.catalog.types import Track
from api.context import Context
from api.pagination import Connection, decode_cursor, encode_cursor, page_size
from domain.playlists import queries as data
from domain.playlists import tables


@strawberry.type
class PlaylistItem:
    track_id: strawberry.Private[int]
    rating: int = strawberry.field(description="0 to 5.")
    added_at: datetime

    @strawberry.field
    async def track(self, info: Info[Context, None]) -> Track:
        return Track.from_model(await info.context.loaders.track.load(self.track_id))


@strawberry.type
class Playlist:
    db_id: strawberry.Private[int]
    id: strawberry.ID
    name: str
    is_default: bool
    created_at: datetime

    @classmethod
    def from_model(cls, row: tables.Playlist) -> Playlist:
        return cls(db_id=row.id, id=strawberry.ID(str(row.id)), name=row.name, is_default=row.is_default,
                   created_at=row.created_at)

    @strawberry.field(description="The rated tracks, most recently added first.")
    async def items(self, info: Info[Context, None], first: int | None = None, after: str | None = None) -> Connection[PlaylistItem]:
        ctx = info.context
        limit = page_size(first, ctx.settings.api.default_page_size, ctx.settings.api.max_page_size)
        before_id = decode_cursor(after, (int,))[0] if after else None
        rows, has_next = await ctx.run(data.list_items, self.db_id, limit, before_id)

        async def count() -> int:
            return await ctx.run(data.count_items, self.db_id)

        return Connection.of(
            [PlaylistItem(track_id=r.track_id, rating=r.rating, added_at=r.added_at) for r in rows],
            [encode_cursor(r.id) for r in rows], has_next=has_next, has_previous=after is not None, count=count,
        )
