"""Listening statistics over named ranges (myListening, listening): types and their thin resolvers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import strawberry
from strawberry import Info

from api.catalog.types import Artist
from api.context import Context
from api.pagination import Connection, decode_cursor, encode_cursor, page_size
from api.stats.types import ArtistPlays, GenrePlays, TrackPlays
from domain.errors import BadUserInput
from domain.stats import listening as data
from domain.stats.listening import Granularity, StatsRange, Window

T = TypeVar("T")

StatsRangeValue = strawberry.enum(StatsRange, name="StatsRange", description=(
    "A span of days in the listener's time zone: THIS_WEEK (Monday to today), THIS_MONTH, THIS_YEAR; "
    "WEEK, MONTH, YEAR: the last complete one; ALL_TIME: first to last day with plays."))
GranularityValue = strawberry.enum(Granularity, name="ActivityGranularity",
                                   description="The size of one bucket of listening activity.")


async def _read(ctx: Context, fn: Callable[..., T], window: Window, *args: Any) -> T:
    """``fn(session, window, *args)`` off the event loop. The whole service's figures are the same
    for every client until the rollups take in new plays (``asOf``), so each process computes
    them once per question and ``asOf`` (kept at most a few minutes: credits and genres, read at
    query time, can change meanwhile); a listener's own are cheap and read every time."""
    if window.scope.user_id is not None or window.as_of is None or ctx.answers is None:
        return await ctx.run(fn, window, *args)
    return await ctx.answers.get(("listening", fn.__name__, window, args), lambda: ctx.run(fn, window, *args))


@strawberry.type
class ActivityBucket:
    start: date = strawberry.field(description="The bucket's first day (a day, the 1st of a month or 1 January).")
    plays: int


@strawberry.type
class EraPlays:
    year: int = strawberry.field(description="The tracks' release year.")
    plays: int


@strawberry.type
class GenreHours:
    genre: str
    hours: list[int] = strawberry.field(description="24 counts by local hour of day.")


@strawberry.type
class NewArtist:
    artist_id: strawberry.Private[int]
    first_day: date = strawberry.field(description="The local day of the first play of this artist.")

    @strawberry.field
    async def artist(self, info: Info[Context, None]) -> Artist | None:
        row = await info.context.loaders.artist.load(self.artist_id)
        return Artist.from_model(row) if row is not None else None


def _limit(info: Info[Context, None], first: int | None) -> int:
    api = info.context.settings.api
    return page_size(first, api.default_page_size, api.max_page_size)


def _new_artists_cursor(after: str) -> tuple[date, int]:
    day, artist_id = decode_cursor(after, (str, int))
    try:
        return date.fromisoformat(day), artist_id
    except ValueError as exc:
        raise BadUserInput("Malformed cursor: pass an endCursor from a previous page", argument="after") from exc


@strawberry.type(description=(
    "Listening statistics over a named range, read from rollups the aggregation keeps up to date "
    "every few minutes (see `asOf`). Days and hours are the listener's local ones (`timeZone`)."))
class ListeningStats:
    window: strawberry.Private[Window]
    range: StatsRangeValue
    from_: date = strawberry.field(name="from")
    to: date
    time_zone: str
    granularity: GranularityValue = strawberry.field(description=(
        "Of `activity`: DAY for week and month ranges, MONTH for year ranges, YEAR for ALL_TIME."))
    as_of: datetime | None = strawberry.field(description="When the rollups last took in new plays.")

    @classmethod
    def of(cls, w: Window) -> ListeningStats:
        return cls(window=w, range=w.range, from_=w.start, to=w.end, time_zone=w.scope.time_zone,
                   granularity=w.granularity, as_of=w.as_of)

    async def _ranking(self, info: Info[Context, None], kind: str, first: int | None, after: str | None):
        ctx, limit = info.context, _limit(info, first)
        key = decode_cursor(after, (int, int)) if after else None
        page = await _read(ctx, data.top, self.window, kind, limit, key)

        async def count() -> int:
            return await _read(ctx, data.count_top, self.window, kind)

        return page, [encode_cursor(row[-1], row[0]) for row in page.rows], count, key is not None

    @strawberry.field(description="Plays in the range.")
    async def plays(self, info: Info[Context, None]) -> int:
        return await _read(info.context, data.total_plays, self.window)

    @strawberry.field(description="Most played tracks (plays desc, then id).")
    async def top_tracks(self, info: Info[Context, None], first: int | None = None,
                         after: str | None = None) -> Connection[TrackPlays]:
        page, cursors, count, previous = await self._ranking(info, "track", first, after)
        return Connection.of([TrackPlays(track_id=t, plays=n) for t, n in page.rows], cursors,
                             has_next=page.has_next, has_previous=previous, count=count)

    @strawberry.field(description="Most played artists; a play counts for every credited artist.")
    async def top_artists(self, info: Info[Context, None], first: int | None = None,
                          after: str | None = None) -> Connection[ArtistPlays]:
        page, cursors, count, previous = await self._ranking(info, "artist", first, after)
        return Connection.of([ArtistPlays(artist_id=a, plays=n) for a, n in page.rows], cursors,
                             has_next=page.has_next, has_previous=previous, count=count)

    @strawberry.field(description="Most played primary genres.")
    async def top_genres(self, info: Info[Context, None], first: int | None = None,
                         after: str | None = None) -> Connection[GenrePlays]:
        page, cursors, count, previous = await self._ranking(info, "genre", first, after)
        return Connection.of([GenrePlays(genre=name, plays=n) for _, name, n in page.rows], cursors,
                             has_next=page.has_next, has_previous=previous, count=count)

    @strawberry.field(description="Plays per bucket of `granularity` over the whole range, empty ones included.")
    async def activity(self, info: Info[Context, None]) -> list[ActivityBucket]:
        rows = await _read(info.context, data.activity, self.window)
        return [ActivityBucket(start=start, plays=n) for start, n in rows]

    @strawberry.field(description="Plays by local weekday (7 rows, Monday first) and hour (24 columns).")
    async def heatmap(self, info: Info[Context, None]) -> list[list[int]]:
        return await _read(info.context, data.heatmap, self.window)

    @strawberry.field(description="Plays by the tracks' release year, oldest first.")
    async def eras(self, info: Info[Context, None]) -> list[EraPlays]:
        return [EraPlays(year=y, plays=n) for y, n in await _read(info.context, data.eras, self.window)]

    @strawberry.field(description="Plays by primary genre and local hour, most played genre first.")
    async def genre_hours(self, info: Info[Context, None]) -> list[GenreHours]:
        rows = await _read(info.context, data.genre_hours, self.window)
        return [GenreHours(genre=g, hours=h) for g, h in rows]

    @strawberry.field(description="Artists first played in the range, by that day, then id.")
    async def new_artists(self, info: Info[Context, None], first: int | None = None,
                          after: str | None = None) -> Connection[NewArtist]:
        ctx, limit = info.context, _limit(info, first)
        key = _new_artists_cursor(after) if after else None
        page = await _read(ctx, data.new_artists, self.window, limit, key)

        async def count() -> int:
            return await _read(ctx, data.count_new_artists, self.window)

        return Connection.of([NewArtist(artist_id=a, first_day=d) for a, d in page.rows],
                             [encode_cursor(d.isoformat(), a) for a, d in page.rows],
                             has_next=page.has_next, has_previous=key is not None, count=count)
