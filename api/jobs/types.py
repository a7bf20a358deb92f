"""Job types: what an enqueued job reports (id, status, result or error)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from domain.jobs.queues import JobStatus


@strawberry.enum(name="JobStatus", description="A job's state (RQ's job statuses).")
class JobStatusValue(Enum):
    QUEUED = "queued"
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    SCHEDULED = "scheduled"
    DEFERRED = "deferred"
    CANCELED = "canceled"
    STOPPED = "stopped"


@strawberry.enum(description="Which aggregation to run.")
class AggregationKind(Enum):
    CHARTS = "charts"
    CHARTS_REBUILD = "charts_rebuild"
    OVERALL_STATS = "overall_stats"
    USER_STATS = "user_stats"
    SIMILAR_USERS = "similar_users"
    DAILY_MIXES = "daily_mixes"
    WEEKLY_EXPLORATION = "weekly_exploration"
    LISTENING_ROLLUPS = "listening_rollups"


@strawberry.type
class JobInfo:
    id: strawberry.ID
    name: str = strawberry.field(description="The job function's import path.")
    status: JobStatusValue
    enqueued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    result: JSON | None = strawberry.field(description="What the job returned, once finished.")
    error: str | None = strawberry.field(description="Why the job failed (last line), when it did.")

    @classmethod
    def from_status(cls, job: JobStatus) -> JobInfo:
        return cls(id=strawberry.ID(job.id), name=job.name, status=JobStatusValue(job.status),
                   enqueued_at=job.enqueued_at, started_at=job.started_at, ended_at=job.ended_at,
                   result=job.result, error=job.error)
