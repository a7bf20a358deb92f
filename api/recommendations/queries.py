"""Recommendation queries: recommendations, similarTracks, engines."""

from __future__ import annotations

from typing import Annotated

import strawberry
from anyio import to_thread
from strawberry import Info

from api.accounts.viewer import require_viewer
from api.catalog.types import Track
from api.context import Context
from api.recommendations.types import (
    EngineContribution,
    EngineInfo,
    EngineStatus,
    EngineWeightInput,
    ModelInfo,
    Recommendation,
    RecommendationList,
    SimilarTrack,
)
from domain.errors import BadUserInput, NotFound
from domain.experiments.impressions import log_impressions
from domain.recommendations.answer import recommendation_answer
from domain.recommendations.service import MixError, RecommenderService
from domain.recommendations.similarity import nothing_similar
from domain.settings import EngineWeight
from domain.validation import check_id, db_id

MAX_K = 100
MAX_DAYS = 3660


def _check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise BadUserInput(f"k must be between 1 and {MAX_K}, got {k}", argument="k")


def _ids(values: list[strawberry.ID], argument: str) -> tuple[list[int], list[str]]:
    """The database ids named in ``values`` and the well-formed ids that name no row."""
    found, beyond = [], []
    for value in values:
        text = check_id(str(value), argument)
        if not text.isdigit():
            raise BadUserInput(f"{argument} takes track ids, got {text!r}", argument=argument)
        number = db_id(text)
        if number is None:
            beyond.append(text)
        else:
            found.append(number)
    return found, beyond


async def _service(info: Info[Context, None]) -> RecommenderService:
    return info.context.recommender


@strawberry.type
class RecommendationQuery:
    @strawberry.field(description="Recommendations for the signed-in user from a mix of engines.")
    async def recommendations(
        self,
        info: Info[Context, None],
        k: int = 10,
        mix: list[EngineWeightInput] | None = None,
        seed_track_ids: list[strawberry.ID] | None = None,
        mix_name: Annotated[str | None, strawberry.argument(
            description='A named mix instead of weights: "default" or "learned" (the blend the retrain job '
            "fits; the default mix until one is trained).")] = None,
        max_per_artist: Annotated[int | None, strawberry.argument(
            description="At most this many tracks of one artist (0: no limit; default from settings, 2).")] = None,
        skip_played_days: Annotated[int | None, strawberry.argument(
            description="Leave out tracks the user played in the last this many days.")] = None,
    ) -> RecommendationList:
        user = await require_viewer(info)
        _check_k(k)
        if max_per_artist is not None and not 0 <= max_per_artist <= MAX_K:
            raise BadUserInput(f"maxPerArtist must be between 0 and {MAX_K}", argument="maxPerArtist")
        if skip_played_days is not None and not 1 <= skip_played_days <= MAX_DAYS:
            raise BadUserInput(f"skipPlayedDays must be between 1 and {MAX_DAYS}", argument="skipPlayedDays")
        service = await _service(info)
        weights = [EngineWeight.model_construct(engine=m.engine, weight=m.weight) for m in mix or []]
        try:
            chosen = service.resolve_mix(user.id, weights, mix_name)
        except MixError as exc:
            argument = "mixName" if mix_name is not None else "mix"
            raise BadUserInput(str(exc), argument=argument, installed=sorted(service.info)) from exc
        seeds, beyond = _ids(seed_track_ids or [], "seedTrackIds")
        answer = await to_thread.run_sync(recommendation_answer, info.context.engine, service, user, k, chosen,
                                          seeds, max_per_artist, skip_played_days)
        if answer.unknown_seeds or beyond:
            unknown = [str(i) for i in answer.unknown_seeds] + beyond
            raise NotFound(f"Unknown seed tracks: {', '.join(unknown)}", argument="seedTrackIds")
        loaders = info.context.loaders
        loaders.track.prime_many({shown.track.id: shown.track for shown in answer.items} | answer.seed_rows)
        loaders.artists_by_track.prime_many(answer.artists)
        log_impressions(info.context.impressions, user.id, chosen.mix_id, [s.track.id for s in answer.items],
                        "recommendations")
        return RecommendationList(
            mix_id=chosen.mix_id,
            items=[
                Recommendation(
                    track=Track.from_model(shown.track), score=shown.item.score, reason=shown.reason,
                    contributions=[EngineContribution(engine=e, score=s) for e, s in shown.item.contributions.items()],
                )
                for shown in answer.items
            ],
        )

    @strawberry.field(description="Tracks similar to a track (content engine; other engines may add).")
    async def similar_tracks(self, info: Info[Context, None], track_id: strawberry.ID, k: int = 10) -> list[SimilarTrack]:
        _check_k(k)
        found, _ = _ids([track_id], "trackId")
        track = await info.context.loaders.track.load(found[0]) if found else None
        if track is None:
            raise NotFound(f"No track with id {track_id!r}", argument="trackId")
        service = await _service(info)
        similar = await to_thread.run_sync(service.similar, track.id, k)
        if not similar:  # say why (not trained yet, no audio features, added after training)
            raise await info.context.run(nothing_similar, service, track.id)
        rows = await info.context.loaders.track.load_many([item for item, _, _ in similar])
        return [SimilarTrack(track=Track.from_model(row), score=score, engine=engine)
                for (_, score, engine), row in zip(similar, rows, strict=True) if row is not None]

    @strawberry.field(description="The installed recommender plugins and their active models.")
    async def engines(self, info: Info[Context, None]) -> list[EngineInfo]:
        service = await _service(info)
        weights = {e.engine: e.weight for e in info.context.settings.recommenders.default_mix}
        result = []
        models = service.snapshot.models
        for name, described in sorted(service.info.items()):
            loaded = models.get(name)
            active = loaded.active if loaded else None
            health = service.health(name)
            result.append(EngineInfo(
                name=name, version=described["version"], description=described["description"],
                needs=list(described["needs"]), builtin=bool(described.get("builtin")),
                status=EngineStatus(health.status), default_weight=weights.get(name, 0.0),
                last_error=health.last_error, last_error_at=health.last_error_at,
                active_model=ModelInfo(version=active.version, trained_at=active.trained_at,
                                       metrics=active.metrics, params=active.params) if active else None,
            ))
        return result
