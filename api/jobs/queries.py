"""Job queries: job (admins only)."""

from __future__ import annotations

import strawberry
from anyio import to_thread
from strawberry import Info

from api.accounts.permissions import IsAdmin
from api.context import Context
from api.jobs.types import JobInfo
from domain.errors import NotFound
from domain.jobs.queues import fetch_job


@strawberry.type
class JobQuery:
    @strawberry.field(description="An enqueued job's status, result or error (admins only).",
                      permission_classes=[IsAdmin])
    async def job(self, info: Info[Context, None], id: strawberry.ID) -> JobInfo:
        status = await to_thread.run_sync(fetch_job, str(id), info.context.settings)
        if status is None:
            raise NotFound(f"No job with id {id!r} (unknown or expired)", argument="id")
        return JobInfo.from_status(status)
