"""A whole ``recommendations`` answer in one call: the listener, the mixer, and the rows it shows.

The GraphQL resolver runs it in one worker thread and primes the request's DataLoaders with the
rows, so an answer costs two hand-offs between the event loop and the threads (the viewer, then
this) instead of one per step; under concurrency each hand-off waits for the interpreter lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.accounts.tables import User
from domain.catalog.queries import artists_by_track, tracks_by_id
from domain.catalog.tables import Artist, Track
from domain.recommendations import user_context as data
from domain.recommendations.service import Mix, RecommenderService
from plugins.mixer import MixedItem

DEFAULT_REASON = "recommended for you"


@dataclass(frozen=True)
class ShownItem:
    """A recommended track as the answer shows it."""

    item: MixedItem
    track: Track
    reason: str


@dataclass(frozen=True)
class RecommendationAnswer:
    items: list[ShownItem] = field(default_factory=list)
    artists: dict[int, list[Artist]] = field(default_factory=dict)  # track id -> credited artists
    seed_rows: dict[int, Track] = field(default_factory=dict)  # the "because you played" tracks
    unknown_seeds: list[int] = field(default_factory=list)  # seed ids that name no track: nothing else is set


def reason_for(item: MixedItem, seeds: dict[int, Track]) -> str:
    """"because you played <seed>" when the item came from one of the user's tracks, else the engine's reason."""
    seed = seeds.get(item.because) if item.because is not None else None
    return f"because you played {seed.name}" if seed is not None else item.reason or DEFAULT_REASON


def recommendation_answer(engine: Engine, service: RecommenderService, user: User, k: int, mix: Mix,
                          seeds: Sequence[int] = (), max_per_artist: int | None = None,
                          skip_played_days: int | None = None) -> RecommendationAnswer:
    """The user's top ``k`` of ``mix`` with the rows the answer shows (tracks, their artists, the seeds
    named in reasons). The database is read before and after the mixer, never held while it scores."""
    settings = service.settings.recommenders
    with Session(engine, expire_on_commit=False) as session:
        unknown = sorted(set(seeds) - data.existing_track_ids(session, list(seeds)))
        if unknown:
            return RecommendationAnswer(unknown_seeds=unknown)
        listener = data.listener(session, user, settings.recent_window_days, tuple(seeds))
    exclude = set(listener.rated) if settings.exclude_rated else set()
    if skip_played_days:
        exclude |= data.played_since(listener.played, skip_played_days)
    mixed = service.recommend(listener.context, k, mix, exclude | set(seeds), max_per_artist)
    ids = [i.item_id for i in mixed]
    because = sorted({i.because for i in mixed if i.because is not None})
    with Session(engine, expire_on_commit=False) as session:
        rows = tracks_by_id(session, ids + because)
        shown_ids = [t.id for t in rows[:len(ids)] if t is not None]
        artists = dict(zip(shown_ids, artists_by_track(session, shown_ids), strict=True)) if shown_ids else {}
    seed_rows = {s: row for s, row in zip(because, rows[len(ids):], strict=True) if row is not None}
    items = [ShownItem(item=i, track=t, reason=reason_for(i, seed_rows))
             for i, t in zip(mixed, rows[:len(ids)], strict=True) if t is not None]
    return RecommendationAnswer(items=items, artists=artists, seed_rows=seed_rows)
