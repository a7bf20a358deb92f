"""Chart queries: chart (realtime, hourly, Top 50) and chartWindows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import strawberry
from strawberry import Info

from api.charts.types import Chart, ChartEntry, ChartKind, ChartWindow
from api.context import Context
from domain.charts import queries as charts
from domain.charts.windows import floor_hour
from domain.columns import utcnow
from domain.errors import BadUserInput

MAX_ENTRIES = 100
MAX_WINDOW_RANGE = timedelta(days=31)


def _aware(moment: datetime, argument: str) -> datetime:
    if moment.tzinfo is None:
        raise BadUserInput(f"{argument} needs a time zone (e.g. 2024-05-01T10:00:00Z)", argument=argument)
    return moment.astimezone(UTC)


async def load_chart(info: Info[Context, None], kind: ChartKind, at: datetime | None = None, day: date | None = None,
                     first: int = 50) -> Chart:
    """The chart of ``kind``: REALTIME now, HOURLY for the window containing ``at``, TOP50 for ``day``."""
    if not 1 <= first <= MAX_ENTRIES:
        raise BadUserInput(f"first must be between 1 and {MAX_ENTRIES}", argument="first")
    run = info.context.run
    if kind is ChartKind.TOP50:
        chart_day, rows = await run(charts.top50_entries, day or utcnow().date(), first)
        return Chart(kind=kind, window_start=None, day=chart_day, entries=_entries(rows))
    if kind is ChartKind.HOURLY:
        if at is None:
            raise BadUserInput("HOURLY charts take `at`, a time inside the window", argument="at")
        window = floor_hour(_aware(at, "at"))
    else:
        window = floor_hour(utcnow())
    rows = await run(charts.window_entries, window, first)
    return Chart(kind=kind, window_start=window, day=None, entries=_entries(rows))


def _entries(rows) -> list[ChartEntry]:
    return [ChartEntry(track_id=track_id, rank=rank, plays=plays) for rank, track_id, plays in rows]


@strawberry.type
class ChartQuery:
    @strawberry.field(description=(
        "A chart. REALTIME: the current hour's window as of the latest aggregation (every 100 s). "
        "HOURLY: the window containing `at` (UTC hours). TOP50: the latest daily Top 50 on or "
        "before `day` (default today)."
    ))
    async def chart(self, info: Info[Context, None], kind: ChartKind, at: datetime | None = None, day: date | None = None,
                    first: int = 50) -> Chart:
        return await load_chart(info, kind, at, day, first)

    @strawberry.field(description="The hourly windows with data in [from, to), at most 31 days apart.")
    async def chart_windows(self, info: Info[Context, None], from_: Annotated[datetime, strawberry.argument(name="from")],
                            to: datetime) -> list[ChartWindow]:
        start, end = _aware(from_, "from"), _aware(to, "to")
        if start > end:
            raise BadUserInput("`from` must not be after `to`", argument="from")
        if end - start > MAX_WINDOW_RANGE:
            raise BadUserInput(f"at most {MAX_WINDOW_RANGE.days} days of windows per request", argument="to")
        rows = await info.context.run(charts.windows_between, start, end)
        return [ChartWindow(window_start=w, plays=p, tracks=n) for w, p, n in rows]
