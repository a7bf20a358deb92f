"""Catalog queries: track, artist, tracks (search and genre browse), genres."""

from __future__ import annotations

import strawberry
from strawberry import Info

from api.catalog.types import Artist, GenreCount, PageInfo, Track, TrackConnection, TrackEdge
from api.pagination import decode_cursor, encode_cursor, page_size
from domain.catalog import queries as catalog
from domain.errors import NotFound


async def track_connection(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    search: str | None = None,
    genre: str | None = None,
    artist: int | None = None,
) -> TrackConnection:
    """A page of tracks (most popular first) as a Relay connection."""
    ctx = info.context
    limit = page_size(first, ctx.settings.api.default_page_size, ctx.settings.api.max_page_size)
    key = decode_cursor(after, (int, int)) if after else None
    genre_id = None
    if genre is not None:
        genre_id = await ctx.run(catalog.genre_id, genre)
        if genre_id is None:
            raise NotFound(f"Unknown genre {genre!r}; see the genres query", argument="genre")
    filters = {"search": search, "genre": genre_id, "artist": artist}
    page = await ctx.run(lambda s: catalog.list_tracks(s, limit=limit, after=key, **filters))
    for row in page.tracks:
        ctx.loaders.track.prime(row.id, row)
    edges = [TrackEdge(cursor=encode_cursor(*k), node=Track.from_model(t))
             for t, k in zip(page.tracks, page.keys, strict=True)]

    async def count() -> int:
        return await ctx.run(lambda s: catalog.count_tracks(s, **filters))

    return TrackConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=key is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="A track by id or Spotify id.")
    async def track(self, info: Info, id: strawberry.ID) -> Track:
        row = await info.context.run(catalog.find_track, str(id))
        if row is None:
            raise NotFound(f"No track with id {id!r}", argument="id")
        return Track.from_model(row)

    @strawberry.field(description="An artist by id or Spotify id.")
    async def artist(self, info: Info, id: strawberry.ID) -> Artist:
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
        info: Info,
        search: str | None = None,
        genre: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TrackConnection:
        return await track_connection(info, first=first, after=after, search=search, genre=genre)

    @strawberry.field(description="The catalog's genres with their track counts, largest first.")
    async def genres(self, info: Info) -> list[GenreCount]:
        rows = await info.context.run(catalog.genre_counts)
        return [GenreCount(name=name, track_count=count) for name, count in rows]
