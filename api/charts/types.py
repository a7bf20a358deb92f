"""Chart types: hourly windows (realtime and past) and the daily Top 50."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import Info

from api.catalog.types import Track
from api.context import Context


@strawberry.enum(description="Which chart: the current hour, a past hourly window, or the daily Top 50.")
class ChartKind(Enum):
    REALTIME = "realtime"
    HOURLY = "hourly"
    TOP50 = "top50"


@strawberry.type
class ChartEntry:
    track_id: strawberry.Private[int]
    rank: int
    plays: int | None = strawberry.field(description="Plays in the window (null for the Top 50).")

    @strawberry.field
    async def track(self, info: Info[Context, None]) -> Track | None:
        row = await info.context.loaders.track.load(self.track_id)
        return Track.from_model(row) if row is not None else None


@strawberry.type
class Chart:
    kind: ChartKind
    window_start: datetime | None = strawberry.field(description="Start of the hourly window (UTC).")
    day: date | None = strawberry.field(description="Date of the Top 50.")
    entries: list[ChartEntry]


@strawberry.type
class ChartWindow:
    window_start: datetime
    plays: int
    tracks: int
