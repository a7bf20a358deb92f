"""Statistics queries: overallStats (a day), myStats (the signed-in listener, a date range) and the
named-range statistics myListening (the signed-in listener) and listening (the whole service)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import strawberry
from strawberry import Info

from api.accounts.viewer import require_viewer
from api.context import Context
from api.stats.listening import ListeningStats, StatsRangeValue
from api.stats.types import AgeGroupCount, ArtistPlays, GenderShare, GenrePlays, MyStats, OverallStats, TrackPlays
from domain.columns import utcnow
from domain.errors import BadUserInput
from domain.stats.listening import Scope, window
from domain.stats.queries import overall_row, user_rows
from domain.stats.tables import OverallDailyStats, UserDailyStats

MAX_DAYS = 366
MAX_TOP = 50


def _top(counter: Counter, n: int) -> list[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def merge_user_days(rows: list[UserDailyStats], start: date, end: date, top: int) -> MyStats:
    """Sum daily rows into one :class:`MyStats`."""
    tracks, artists, genres = Counter(), Counter(), Counter()
    weekdays, hours = [0] * 7, [0] * 24
    for row in rows:
        payload = row.payload or {}
        for counter, name in ((tracks, "tracks"), (artists, "artists"), (genres, "genres")):
            counter.update({key: n for key, n in payload.get(name, [])})
        weekdays[row.day.weekday()] += row.plays
        hours = [a + b for a, b in zip(hours, payload.get("hours", [0] * 24), strict=True)]
    return MyStats(
        from_=start, to=end, plays=sum(r.plays for r in rows), days_active=sum(r.plays > 0 for r in rows),
        top_tracks=[TrackPlays(track_id=t, plays=n) for t, n in _top(tracks, top)],
        top_artists=[ArtistPlays(artist_id=a, plays=n) for a, n in _top(artists, top)],
        top_genres=[GenrePlays(genre=g, plays=n) for g, n in _top(genres, top)],
        plays_per_weekday=weekdays, plays_per_hour=hours,
    )


def overall_from_row(row: OverallDailyStats) -> OverallStats:
    """The GraphQL view of a stored overall stats row."""
    p = row.payload
    return OverallStats(
        day=row.day, computed_at=row.computed_at, as_of=datetime.fromisoformat(p["as_of"]), plays=p["plays"],
        active_users=p["active_users"], users=p["users"],
        users_by_age_group=[AgeGroupCount(**g) for g in p["users_by_age_group"]],
        gender_ratio=[GenderShare(**g) for g in p["gender_ratio"]],
        plays_by_genre=[GenrePlays(**g) for g in p["plays_by_genre"]],
        top_tracks=[TrackPlays(**t) for t in p["top_tracks"]],
        top_artists=[ArtistPlays(**a) for a in p["top_artists"]],
    )


@strawberry.type
class StatsQuery:
    @strawberry.field(description=(
        "Overall stats of a day (default today, UTC) as of the latest aggregation; null before "
        "the first aggregation of that day."
    ))
    async def overall_stats(self, info: Info[Context, None], day: date | None = None) -> OverallStats | None:
        row = await info.context.run(overall_row, day or utcnow().date())
        return overall_from_row(row) if row is not None else None

    @strawberry.field(description=(
        "The signed-in listener's stats over [from, to] (days, UTC, at most 366), from the daily "
        "aggregation, which covers days up to yesterday."
    ))
    async def my_stats(self, info: Info[Context, None], from_: Annotated[date, strawberry.argument(name="from")],
                       to: date, top: int = 10) -> MyStats:
        user = await require_viewer(info)
        if from_ > to:
            raise BadUserInput("`from` must not be after `to`", argument="from")
        if to - from_ >= timedelta(days=MAX_DAYS):
            raise BadUserInput(f"at most {MAX_DAYS} days per request", argument="to")
        if not 1 <= top <= MAX_TOP:
            raise BadUserInput(f"top must be between 1 and {MAX_TOP}", argument="top")
        rows = await info.context.run(user_rows, user.id, from_, to)
        return merge_user_days(rows, from_, to, top)

    @strawberry.field(description=(
        "The signed-in listener's statistics over a named range, in their time zone (setTimeZone)."))
    async def my_listening(self, info: Info[Context, None], range: StatsRangeValue) -> ListeningStats:
        user = await require_viewer(info)
        return ListeningStats.of(await info.context.run(window, Scope(user.id, user.time_zone), range))

    @strawberry.field(description="The whole service's listening statistics over a named range (UTC days).")
    async def listening(self, info: Info[Context, None], range: StatsRangeValue) -> ListeningStats:
        return ListeningStats.of(await info.context.run(window, Scope(), range))
