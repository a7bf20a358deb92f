"""Playlist types: Playlist, its rated items, and their connections."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import Info

from api.catalog.types import Track
from api.context import Context
from api.pagination import Connection, decode_cursor, encode_cursor, page_size
from domain.playlists import queries as data
from domain.playlists import tables


@strawberry.enum(description="Who made a playlist: the user, or 4.5Hz (generated, read-only).")
class PlaylistKind(Enum):
    USER = tables.USER_MADE
    DAILY_MIX = tables.DAILY_MIX
    WEEKLY_EXPLORATION = tables.WEEKLY_EXPLORATION


@strawberry.type
class PlaylistItem:
    track_id: strawberry.Private[int]
    rating: int | None = strawberry.field(description="0 to 5; null in generated playlists (not your rating).")
    added_at: datetime
    position: int | None = strawberry.field(
        default=None, description="The track's place in a generated playlist (0 first); null in your own.")

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
    kind: PlaylistKind = strawberry.field(description="USER for your own; generated playlists are read-only.")
    generated_for: date | None = strawberry.field(
        description="The day (DAILY_MIX) or the week's Monday (WEEKLY_EXPLORATION) it was generated for.")

    @classmethod
    def from_model(cls, row: tables.Playlist) -> Playlist:
        return cls(db_id=row.id, id=strawberry.ID(str(row.id)), name=row.name, is_default=row.is_default,
                   created_at=row.created_at, kind=PlaylistKind(row.kind), generated_for=row.generated_for)

    @strawberry.field(description=(
        "The tracks: of your own playlists most recently added first, of generated ones in order."))
    async def items(self, info: Info[Context, None], first: int | None = None, after: str | None = None) -> Connection[PlaylistItem]:
        ctx = info.context
        limit = page_size(first, ctx.settings.api.default_page_size, ctx.settings.api.max_page_size)
        before_id = decode_cursor(after, (int,))[0] if after else None
        by_position = self.kind != PlaylistKind.USER
        rows, has_next = await ctx.run(data.list_items, self.db_id, limit, before_id, by_position)

        async def count() -> int:
            return await ctx.run(data.count_items, self.db_id)

        return Connection.of(
            [PlaylistItem(track_id=r.track_id, rating=r.rating, added_at=r.added_at, position=r.position)
             for r in rows],
            [encode_cursor(r.position if by_position else r.id) for r in rows], has_next=has_next, has_previous=after is not None, count=count,
        )
