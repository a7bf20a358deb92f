"""Listening-log types: PlayEvent and the PlayInput of recordPlays."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry import Info

from api.catalog.types import Track
from api.context import Context
from domain.plays.record import RecordedPlay


@strawberry.type
class PlayEvent:
    id: strawberry.ID
    track_id: strawberry.Private[int]
    played_at: datetime
    source: str | None

    @classmethod
    def from_model(cls, row: RecordedPlay) -> PlayEvent:
        return cls(id=strawberry.ID(str(row.id)), track_id=row.track_id, played_at=row.played_at, source=row.source)

    @strawberry.field
    async def track(self, info: Info[Context, None]) -> Track:
        return Track.from_model(await info.context.loaders.track.load(self.track_id))


@strawberry.input(description="One play of a batch.")
class PlayInput:
    track_id: strawberry.ID = strawberry.field(description="Database or Spotify id.")
    source: str | None = strawberry.field(
        default=None, description="Where the play started, e.g. `track_page` or `recommendation:<mix id>`.")
    played_at: datetime | None = strawberry.field(
        default=None, description="When it was played (default now; without an offset, UTC); not in the future.")


def _play_input(cls: type[PlayInput], value: Mapping[str, Any], _context: Any) -> PlayInput:
    # A batch holds up to 500 of these; Strawberry's generic conversion walks every field's type
    # (about a sixth of a 100-play request). The scalars have already parsed the values.
    return cls(track_id=value["trackId"], source=value.get("source"), played_at=value.get("playedAt"))


PlayInput.__strawberry_definition__.from_input = _play_input
