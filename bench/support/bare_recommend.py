"""The mixer call of ``recommendations(k: 10)`` behind a bare Starlette JSON route, no GraphQL.

``GET /recommend`` with a bearer token does what the resolver does: the viewer from the token,
then the same answer (:func:`domain.recommendations.answer.recommendation_answer`: the user's
context, exclusions, the default mix, the tracks and their artists); it answers the same JSON. The load
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
from domain.db import create_db_engine
from domain.recommendations.answer import recommendation_answer
from domain.recommendations.service import RecommenderService
from domain.settings import get_settings


def recommend_json(service: RecommenderService, engine, token: str, k: int) -> tuple[int, dict]:
    """``(status, body)`` for one request (runs in a worker thread, like the resolver's calls)."""
    with Session(engine) as session:
        user = user_for_token(session, token)
    if user is None:
        return 401, {"error": "unauthenticated"}
    mix = service.resolve_mix(user.id, [], None)
    answer = recommendation_answer(engine, service, user, k, mix)
    return 200, {"mixId": mix.mix_id, "items": [
        {"track": {"id": str(s.track.id), "name": s.track.name,
                   "artists": [{"name": a.name} for a in answer.artists.get(s.track.id, [])]},
         "score": s.item.score, "reason": s.reason,
         "contributions": [{"engine": e, "score": v} for e, v in s.item.contributions.items()]}
        for s in answer.items]}


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
