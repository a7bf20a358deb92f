"""Catalog queries: track, artist, tracks (search and genre browse), genres."""

from __future__ import annotations

import strawberry
from strawberry import Info

from api.catalog.types import Artist, GenreCount, Track, track_connection
from api.context import Context
from api.pagination import Connection
from domain.catalog import queries as catalog
from domain.errors import NotFound


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="A track by id or Spotify id.")
    async def track(self, info: Info[Context, None], id: strawberry.ID) -> Track:
        row = await info.context.run(catalog.find_track, str(id))
        if row is None:
            raise NotFound(f"No track with id {id!r}", argument="id")
        return Track.from_model(row)

    @strawberry.field(description="An artist by id or Spotify id.")
    async def artist(self, info: Info[Context, None], id: strawberry.ID) -> Artist:
        row = await info.context.run(catalog.find_artist, str(id))
        if row is None:
            raise NotFound(f"No artist with id {id!r}", argument="id")
        return Artist.from_model(row)

    @strawberry.field(
        description=(
            "Tracks, most popular first. `search` keeps tracks where every word is the start of "
            "a word of the track's or an artist's name (case-insensitive); `genre` browses a genre."
        )
    )
    async def tracks(
        self,
        info: Info[Context, None],
        search: str | None = None,
        genre: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Track]:
        return await track_connection(info, first=first, after=after, search=search, genre=genre)

    @strawberry.field(description="The catalog's genres with their track counts, largest first.")
    async def genres(self, info: Info[Context, None]) -> list[GenreCount]:
        rows = await info.context.run(catalog.genre_counts)
        return [GenreCount(name=name, track_count=count) for name, count in rows]
