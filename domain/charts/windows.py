"""Chart windows: one UTC hour each, open for late plays until the watermark passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

WINDOW = timedelta(hours=1)


LATENESS = timedelta(hours=1)


CHART_CHANNEL = "chart-updated"


def floor_hour(moment: datetime) -> datetime:
    """The start of the UTC hour containing ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def open_windows(now: datetime) -> list[datetime]:
    """The windows that still accept late plays at ``now``, oldest first."""
    first, last = floor_hour(now - LATENESS), floor_hour(now)
    windows = []
    while first <= last:
        windows.append(first)
        first += WINDOW
    return windows
