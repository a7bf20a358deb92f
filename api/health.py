"""Liveness (``/healthz``) and readiness (``/readyz``) and the checks readiness runs.

Each check runs in a worker thread with a time limit, all of them at once, so a database or
Redis that hangs makes ``/readyz`` answer "not ready" in time instead of hanging it too.
Answers name what failed but never echo an error's text: drivers put host names and ports
in theirs. The full error goes to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse

from domain.migrations import behind_head, head_revision
from domain.recommendations.service import RecommenderService

log = logging.getLogger("hz45.api.health")

# (ready, detail); raising means not ready.
ReadinessCheck = Callable[[], tuple[bool, str]]


def database_check(engine: Engine) -> ReadinessCheck:
    """The database answers a query."""
    def check() -> tuple[bool, str]:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True, "ok"

    return check


def migrations_check(engine: Engine) -> ReadinessCheck:
    """The database is at the newest Alembic revision."""
    def check() -> tuple[bool, str]:
        behind = behind_head(engine)
        return (False, behind) if behind else (True, f"at head {head_revision()}")

    return check


def redis_check(url: str) -> ReadinessCheck:
    """Redis answers a PING."""
    def check() -> tuple[bool, str]:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
        return True, "ok"

    return check


def models_check(service: RecommenderService) -> ReadinessCheck:
    """Which trained models are loaded and which engines are degraded (never "not ready": the
    catalog works without them, and the mixer fills in for a degraded engine)."""
    def check() -> tuple[bool, str]:
        loaded = sorted(service.snapshot.models)
        parts = [f"loaded: {', '.join(loaded)}" if loaded else "no trained models yet"]
        for name in sorted(service.info):
            health = service.health(name)
            if health.status == "DEGRADED":
                parts.append(f"{name} DEGRADED ({health.last_error})")
        if service.refresh_error:
            parts.append(f"model refresh failing ({service.refresh_error})")
        return True, "; ".join(parts)

    return check


async def run_check(name: str, check: ReadinessCheck, timeout: float) -> tuple[bool, str]:
    """Run ``check`` in a thread for at most ``timeout`` seconds; failures become details."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(check), timeout)
    except TimeoutError:
        log.warning("readiness check %s gave no answer within %g s", name, timeout)
        return False, f"no answer within {timeout:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
        return False, f"failed ({type(exc).__name__})"


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database (at the newest migration), Redis when configured, and the models."""
    state = request.app.state
    checks: dict[str, ReadinessCheck] = state.readiness_checks
    timeout = state.settings.api.readiness_timeout_seconds
    outcomes = await asyncio.gather(*(run_check(name, check, timeout) for name, check in checks.items()))
    ready = all(ok for ok, _ in outcomes)
    return JSONResponse(
        {"status": "ok" if ready else "unavailable",
         "checks": {name: detail for name, (_, detail) in zip(checks, outcomes)}},
        status_code=200 if ready else 503,
    )
