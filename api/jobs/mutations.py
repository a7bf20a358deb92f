"""Admin mutations that enqueue jobs: retrain, runAggregation, importTop50."""

from __future__ import annotations

from datetime import date

import strawberry
from anyio import to_thread
from strawberry import Info

from api.accounts.permissions import IsAdmin
from api.context import Context
from api.jobs.types import AggregationKind, JobInfo
from domain.errors import BadUserInput
from domain.jobs.queues import enqueue

AGGREGATIONS = {
    AggregationKind.CHARTS: ("jobs.charts.aggregate_charts", {}),
    AggregationKind.CHARTS_REBUILD: ("jobs.charts.aggregate_charts", {"full": True}),
    AggregationKind.OVERALL_STATS: ("jobs.stats.aggregate_overall_stats", {}),
    AggregationKind.USER_STATS: ("jobs.stats.aggregate_user_stats", {}),
    AggregationKind.SIMILAR_USERS: ("jobs.similar_users.similar_users", {}),
    AggregationKind.DAILY_MIXES: ("jobs.generated_playlists.generate_daily_mixes", {}),
    AggregationKind.WEEKLY_EXPLORATION: ("jobs.generated_playlists.generate_weekly_exploration", {}),
    AggregationKind.LISTENING_ROLLUPS: ("jobs.listening_stats.update_listening_rollups", {}),
}
DAY_ARGUMENT = {AggregationKind.WEEKLY_EXPLORATION: "week"}  # the job's name of `day`, when not "day"
WITHOUT_DAY = {AggregationKind.CHARTS, AggregationKind.CHARTS_REBUILD, AggregationKind.SIMILAR_USERS,
               AggregationKind.LISTENING_ROLLUPS}


async def _enqueue(info: Info[Context, None], func_path: str, **kwargs) -> JobInfo:
    status = await to_thread.run_sync(lambda: enqueue(func_path, info.context.settings, **kwargs))
    return JobInfo.from_status(status)


@strawberry.type
class JobMutation:
    @strawberry.mutation(description="Retrain one engine (or all) in the background.", permission_classes=[IsAdmin])
    async def retrain(self, info: Info[Context, None], engine: str | None = None, force: bool = False) -> JobInfo:
        recommender = info.context.recommender
        if engine is not None and recommender is not None and engine not in recommender.info:
            raise BadUserInput(f"Unknown engine {engine!r}; see the engines query", argument="engine")
        return await _enqueue(info, "jobs.retrain.retrain", engine=engine, force=force)

    @strawberry.mutation(description=(
        "Run an aggregation now. `day` (UTC) applies to the stats: OVERALL_STATS defaults to today, "
        "USER_STATS to yesterday; for DAILY_MIXES (default today) and WEEKLY_EXPLORATION (its week; "
        "default this week) it is the day the playlists are generated for."
    ), permission_classes=[IsAdmin])
    async def run_aggregation(self, info: Info[Context, None], kind: AggregationKind, day: date | None = None) -> JobInfo:
        func_path, kwargs = AGGREGATIONS[kind]
        if day is not None:
            if kind in WITHOUT_DAY:
                raise BadUserInput(f"`day` does not apply to {kind.name}", argument="day")
            kwargs = {**kwargs, DAY_ARGUMENT.get(kind, "day"): day.isoformat()}
        return await _enqueue(info, func_path, **kwargs)

    @strawberry.mutation(description="Import the Spotify Top 50 of a day (default today).",
                         permission_classes=[IsAdmin])
    async def import_top50(self, info: Info[Context, None], day: date | None = None) -> JobInfo:
        return await _enqueue(info, "jobs.ingest.import_top50", **({"day": day.isoformat()} if day else {}))
