"""GraphQL subscriptions (graphql-transport-ws on /graphql): chartUpdated."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry import Info

from api.charts.queries import load_chart
from api.charts.types import Chart, ChartKind
from api.context import Context
from domain.charts.windows import CHART_CHANNEL
from domain.columns import utcnow
from domain.errors import BadUserInput
from domain.pubsub import subscription


@strawberry.type
class Subscription:
    @strawberry.subscription(description=(
        "The chart now, then again whenever an aggregation run changes it. REALTIME follows the "
        "current hour; HOURLY pushes every window a run changed."
    ))
    async def chart_updated(self, info: Info[Context, None], kind: ChartKind = ChartKind.REALTIME,
                            first: int = 50) -> AsyncGenerator[Chart, None]:
        if kind is ChartKind.TOP50:
            raise BadUserInput("chartUpdated follows the hourly charts (REALTIME or HOURLY)", argument="kind")
        async with subscription(CHART_CHANNEL, info.context.settings.redis_url) as messages:
            yield await load_chart(info, kind, at=utcnow(), first=first)
            async for message in messages:
                if kind is ChartKind.REALTIME:
                    if message.get("realtime") in message.get("windows", ()):
                        yield await load_chart(info, kind, first=first)
                    continue
                for window in message.get("windows", ()):
                    yield await load_chart(info, kind, at=datetime.fromisoformat(window), first=first)
