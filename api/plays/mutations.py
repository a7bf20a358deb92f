"""Listening-log mutations: recordPlay and recordPlays."""

from __future__ import annotations

from typing import Annotated

import strawberry
from anyio import to_thread
from strawberry import Info

from api.accounts.permissions import IsAuthenticated
from api.accounts.viewer import require_viewer
from api.context import Context
from api.plays.types import PlayEvent, PlayInput
from domain.columns import utcnow
from domain.plays.event_log import write_events
from domain.plays.record import MAX_BATCH, Play, record_plays

# Named in Python apart from resolvers' own ``source`` parameter, which permissions also receive.
Source = Annotated[str | None, strawberry.argument(
    name="source", description="Where the play started, e.g. `track_page` or `recommendation:<mix id>`.")]


async def _record(info: Info[Context, None], plays: list[Play]) -> list[PlayEvent]:
    user = await require_viewer(info)
    events, lines = await info.context.run(record_plays, user, plays, utcnow())
    # Only once the events are committed: the log never holds a play the database lacks.
    await to_thread.run_sync(write_events, info.context.settings, lines)
    return [PlayEvent.from_model(e) for e in events]


@strawberry.type
class PlayMutation:
    @strawberry.mutation(description=(
        "Log that the signed-in user played a track now. Problems are reported as in recordPlays "
        "(BAD_USER_INPUT with `extensions.violations`, e.g. rule UNKNOWN_TRACK)."
    ), permission_classes=[IsAuthenticated])
    async def record_play(self, info: Info[Context, None], track_id: strawberry.ID, source_: Source = None) -> PlayEvent:
        return (await _record(info, [Play(track_id=str(track_id), source=source_)]))[0]

    @strawberry.mutation(description=(
        f"Log up to {MAX_BATCH} plays at once: all are stored, or none (every problem is listed in "
        "`extensions.violations` with the event's `index`)."
    ), permission_classes=[IsAuthenticated])
    async def record_plays(self, info: Info[Context, None], events: list[PlayInput]) -> list[PlayEvent]:
        plays = [Play(track_id=str(e.track_id), source=e.source, played_at=e.played_at) for e in events]
        return await _record(info, plays)
