"""Statistics types: the overall stats of a day and a listener's own stats."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import Info

from api.catalog.types import Artist, Track
from api.context import Context


@strawberry.type
class TrackPlays:
    track_id: strawberry.Private[int]
    plays: int

    @strawberry.field
    async def track(self, info: Info[Context, None]) -> Track | None:
        row = await info.context.loaders.track.load(self.track_id)
        return Track.from_model(row) if row is not None else None


@strawberry.type
class ArtistPlays:
    artist_id: strawberry.Private[int]
    plays: int

    @strawberry.field
    async def artist(self, info: Info[Context, None]) -> Artist | None:
        row = await info.context.loaders.artist.load(self.artist_id)
        return Artist.from_model(row) if row is not None else None


@strawberry.type
class GenrePlays:
    genre: str
    plays: int


@strawberry.type
class AgeGroupCount:
    age_group: int = strawberry.field(description="Decade of age: 10 (teens and younger), 20, 30, …")
    users: int


@strawberry.type
class GenderShare:
    gender: str
    users: int
    share: float


@strawberry.type
class OverallStats:
    day: date
    computed_at: datetime
    as_of: datetime = strawberry.field(description="When `activeUsers` was measured.")
    plays: int
    active_users: int = strawberry.field(description="Distinct listeners in the 5 minutes before `asOf`.")
    users: int
    users_by_age_group: list[AgeGroupCount]
    gender_ratio: list[GenderShare]
    plays_by_genre: list[GenrePlays] = strawberry.field(description="Plays by the tracks' primary genre.")
    top_tracks: list[TrackPlays]
    top_artists: list[ArtistPlays]


@strawberry.type
class MyStats:
    from_: date = strawberry.field(name="from")
    to: date
    plays: int
    days_active: int
    top_tracks: list[TrackPlays]
    top_artists: list[ArtistPlays]
    top_genres: list[GenrePlays]
    plays_per_weekday: list[int] = strawberry.field(description="Seven counts, Monday first (UTC days).")
    plays_per_hour: list[int] = strawberry.field(description="24 counts by UTC hour of day.")
