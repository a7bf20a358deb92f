"""The mixer call of ``recommendations(k: 10)`` behind a bare Starlette JSON route, no GraphQL.

``GET /recommend`` with a bearer token does what the resolver does: the viewer from the token,
the user's context, exclusions, the default mix and the tracks' rows; it answers JSON. The load
benchmark serves it with uvicorn beside ``hz45 serve`` to price GraphQL's share of a request.

    DATABASE_URL=... uvicorn bench.support.bare_recommend:app --workers 2
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from anyio import to_thread
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain.accounts.tokens import user_for_token
from domain.catalog.queries import tracks_by_id
from domain.db import create_db_engine
from domain.recommendations import user_context as data
from domain.recommendations.service import RecommenderService
from domain.settings import get_settings


def recommend_json(service: RecommenderService, engine, token: str, k: int) -> tuple[int, dict]:
    """``(status, body)`` for one request (runs in a worker thread, like the resolver's calls)."""
    settings = service.settings.recommenders
    with Session(engine) as session:
        user = user_for_token(session, token)
        if user is None:
            return 401, {"error": "unauthenticated"}
        listener = data.listener(session, user, settings.recent_window_days)
        context, exclude = listener.context, set(listener.rated) if settings.exclude_rated else set()
    mix = service.resolve_mix(user.id, [], None)
    items = service.recommend(context, k, mix, exclude)
    seeds = sorted({i.because for i in items if i.because is not None})
    with Session(engine) as session:
        rows = tracks_by_id(session, [i.item_id for i in items] + seeds)
    tracks, seed_names = rows[:len(items)], {s: r.name for s, r in zip(seeds, rows[len(items):]) if r is not None}
    return 200, {"mixId": mix.mix_id, "items": [
        {"track": {"id": str(t.id), "name": t.name}, "score": i.score,
         "reason": f"because you played {seed_names[i.because]}" if i.because in seed_names else i.reason,
         "contributions": [{"engine": e, "score": s} for e, s in i.contributions.items()]}
        for i, t in zip(items, tracks, strict=True) if t is not None]}


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.engine = create_db_engine(settings.database_url)
    app.state.service = RecommenderService(settings, app.state.engine)
    await to_thread.run_sync(app.state.service.refresh)
    yield
    app.state.engine.dispose()


async def recommend(request: Request) -> JSONResponse:
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    state = request.app.state
    status, body = await to_thread.run_sync(recommend_json, state.service, state.engine, token,
                                            int(request.query_params.get("k", 10)))
    return JSONResponse(body, status_code=status)


app = Starlette(routes=[Route("/recommend", recommend)], lifespan=lifespan)
