"""The per-request GraphQL context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import HTTPConnection

from api.answer_cache import AnswerCache
from api.catalog.loaders import Loaders
from domain.experiments.impressions import ImpressionBuffer
from domain.recommendations.service import RecommenderService
from domain.settings import Settings

T = TypeVar("T")


@dataclass
class Context:
    """What resolvers get as ``info.context``; DataLoaders are created per request."""

    request: HTTPConnection | None
    settings: Settings
    engine: Engine
    recommender: RecommenderService | None = None
    impressions: ImpressionBuffer | None = None
    answers: AnswerCache | None = None  # answers shared by every client of this process
    state: dict[str, Any] = field(default_factory=dict)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.run)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(session, *args)`` in a worker thread with its own session, then commit.

        Database work stays off the event loop; each call has its own session, so concurrent
        resolvers never share one.
        """
        return await to_thread.run_sync(self._in_session, fn, args)

    def _in_session(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with Session(self.engine, expire_on_commit=False) as session:
            result = fn(session, *args)
            session.commit()
            return result
