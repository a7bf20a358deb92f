"""The Starlette application: GraphQL at /graphql, /healthz and /readyz, rq-dashboard at /rq, and
the reference web client at / (static files on the public API).

The lifespan loads the active models, then a background task swaps in new versions every
``recommenders.refresh_seconds`` (requests never load a model).

In production (``HZ45_ENVIRONMENT=production``) the schema cannot be introspected and there is
no GraphiQL; elsewhere GraphiQL's own files are served under /graphiql/ (no CDN). Request bodies
over ``api.max_body_bytes`` get 413; ``X-Forwarded-*`` headers are believed only from
``trusted_proxies``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import strawberry
from anyio import to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route, WebSocketRoute
from strawberry.extensions import DisableIntrospection
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.body_limit import BodySizeLimit
from api.answer_cache import AnswerCache
from api.context import Context
from api.graphiql import graphiql_assets, graphiql_page
from api.health import database_check, healthz, migrations_check, models_check, readyz, redis_check
from api.http import GraphQLView
from api.schema import build_schema
from api.web import web_routes
from domain.db import engine_for
from domain.experiments.impressions import ImpressionBuffer
from domain.recommendations.service import RecommenderService
from domain.settings import Settings, get_settings

log = logging.getLogger("hz45.api")


def schema_for(settings: Settings) -> strawberry.Schema:
    """The schema with the limits of ``settings``; not introspectable in production."""
    schema = build_schema(settings.api)
    if settings.production:
        # build_schema knows only the query limits; whether clients may read the schema is
        # the deployment's choice.
        schema.extensions = (*schema.extensions, DisableIntrospection)
    return schema


def graphiql_enabled(settings: Settings) -> bool:
    """Whether /graphql shows GraphiQL to a browser: when configured, and never in production."""
    return settings.api.graphiql and not settings.production


class GraphQLApp(GraphQLView):
    """Strawberry's ASGI app with the 4.5Hz request context (malformed requests get JSON errors)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(schema_for(settings), graphql_ide="graphiql" if graphiql_enabled(settings) else None)
        self.settings = settings

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_page()

    async def get_context(self, request, response=None) -> Context:
        state = request.app.state
        return Context(
            request=request, settings=self.settings, engine=state.engine,
            recommender=getattr(state, "recommender", None), impressions=getattr(state, "impressions", None),
            answers=getattr(state, "answers", None),
        )


async def refresh_models(service: RecommenderService) -> None:
    """Publish the active model versions; a failure leaves the current snapshot serving."""
    try:
        await to_thread.run_sync(service.refresh)
    except Exception:  # the API still serves the catalog and the models it has; /readyz tells
        log.exception("could not refresh the recommender models")


async def keep_models_fresh(service: RecommenderService, interval: float) -> None:
    """Background task of the lifespan: swap in newly (de)activated versions every ``interval`` s,
    so that requests only ever read the published snapshot."""
    while True:
        await asyncio.sleep(interval)
        await refresh_models(service)


def create_app(settings: Settings | None = None, *, engine=None, startup: list[Callable[[Starlette], Any]] | None = None) -> Starlette:
    """Build the app for ``settings``; ``startup`` hooks run in the lifespan (e.g. load models)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_engine = engine is None
        app.state.engine = engine or engine_for(settings)
        app.state.settings = settings
        app.state.answers = AnswerCache()
        app.state.readiness_checks = {"database": database_check(app.state.engine),
                                      "migrations": migrations_check(app.state.engine)}
        if settings.redis_url:
            app.state.readiness_checks["redis"] = redis_check(settings.redis_url)
        app.state.recommender = service = RecommenderService(settings, app.state.engine)
        await refresh_models(service)
        app.state.readiness_checks["models"] = models_check(service)
        refresher = asyncio.create_task(keep_models_fresh(service, settings.recommenders.refresh_seconds),
                                        name="hz45-model-refresh")
        app.state.impressions = impressions = ImpressionBuffer(app.state.engine, settings.recommenders)
        impression_writer = asyncio.create_task(impressions.run(), name="hz45-impressions")
        # A startup hook may return a callable that undoes it at shutdown (e.g. stops a thread).
        cleanups = [c for c in (hook(app) for hook in startup or ()) if callable(c)]
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            impression_writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await impression_writer
            await to_thread.run_sync(impressions.flush)  # what the last second served
            for cleanup in reversed(cleanups):
                cleanup()
            if own_engine:
                app.state.engine.dispose()

    graphql = GraphQLApp(settings)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        *web_routes(),
    ]
    if graphiql_enabled(settings):
        routes.append(graphiql_assets())
    if settings.redis_url:
        from api.jobs.dashboard import dashboard_app

        routes.append(Mount("/rq", app=dashboard_app(settings.redis_url)))
    middleware = [Middleware(BodySizeLimit, max_bytes=settings.api.max_body_bytes)]
    if settings.trusted_proxies:
        # uvicorn's middleware, outermost: everything inside sees the real client (e.g. the log-in throttle).
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies))
    return Starlette(debug=False, routes=routes, middleware=middleware, lifespan=lifespan)
