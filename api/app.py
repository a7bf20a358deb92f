"""The Starlette application: GraphQL at /graphql, /healthz and /readyz."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import sqlalchemy as sa
from anyio import to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from strawberry.asgi import GraphQL

from api.context import Context
from api.schema import build_schema
from domain.db import create_db_engine
from domain.recommendations.service import RecommenderService
from domain.settings import Settings, get_settings

log = logging.getLogger("hz45.api")

ReadinessCheck = Callable[[], tuple[bool, str]]


class GraphQLApp(GraphQL):
    """Strawberry's ASGI app with the 4.5Hz request context."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(build_schema(settings.api), graphql_ide="graphiql" if settings.api.graphiql else None)
        self.settings = settings

    async def get_context(self, request, response=None) -> Context:
        state = request.app.state
        return Context(
            request=request, settings=self.settings, engine=state.engine,
            recommender=getattr(state, "recommender", None),
        )


def _database_check(engine) -> ReadinessCheck:
    def check() -> tuple[bool, str]:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True, "ok"

    return check


def _redis_check(url: str) -> ReadinessCheck:
    def check() -> tuple[bool, str]:
        import redis

        redis.Redis.from_url(url, socket_timeout=2).ping()
        return True, "ok"

    return check


def _models_check(service: RecommenderService) -> ReadinessCheck:
    def check() -> tuple[bool, str]:
        loaded = sorted(service.models)
        return True, f"loaded: {', '.join(loaded)}" if loaded else "no trained models yet"

    return check


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database (and Redis, models when configured) answer."""
    results: dict[str, str] = {}
    ready = True
    for name, check in request.app.state.readiness_checks.items():
        try:
            ok, detail = check()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            ok, detail = False, f"{type(exc).__name__}: {exc}".splitlines()[0]
        ready &= ok
        results[name] = detail
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": results},
                        status_code=200 if ready else 503)


def create_app(settings: Settings | None = None, *, engine=None, startup: list[Callable[[Starlette], Any]] | None = None) -> Starlette:
    """Build the app for ``settings``; ``startup`` hooks run in the lifespan (e.g. load models)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_engine = engine is None
        app.state.engine = engine or create_db_engine(settings.database_url)
        app.state.settings = settings
        app.state.readiness_checks = {"database": _database_check(app.state.engine)}
        if settings.redis_url:
            app.state.readiness_checks["redis"] = _redis_check(settings.redis_url)
        app.state.recommender = RecommenderService(settings, app.state.engine)
        try:
            await to_thread.run_sync(app.state.recommender.refresh)
        except Exception:  # the API still serves the catalog; /readyz tells what is missing
            log.exception("could not load recommender models at start-up")
        app.state.readiness_checks["models"] = _models_check(app.state.recommender)
        # A startup hook may return a callable that undoes it at shutdown (e.g. stops a thread).
        cleanups = [c for c in (hook(app) for hook in startup or ()) if callable(c)]
        try:
            yield
        finally:
            for cleanup in reversed(cleanups):
                cleanup()
            if own_engine:
                app.state.engine.dispose()

    graphql = GraphQLApp(settings)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]
    if settings.redis_url:
        from api.jobs.dashboard import dashboard_app

        routes.append(Mount("/rq", app=dashboard_app(settings.redis_url)))
    return Starlette(debug=False, routes=routes, lifespan=lifespan)
