"""Why ``similarTracks`` has nothing for a track, as a coded error a client can act on.

Engines with a ``similar`` role in their plugin description (the content engine) answer
item-to-item first; when no engine finds anything, the reason is one of: none of them is
trained yet (``NO_MODEL``), their last calls failed (``DEGRADED``), the track has no audio
features (``NO_AUDIO_FEATURES``), or it was added after they were trained (``NOT_IN_MODEL``:
each catalog import queues their retraining, see ``jobs.catalog_changes``).
"""

from __future__ import annotations

from sqlmodel import Session

from domain.catalog.tables import AudioFeatures
from domain.errors import NotReady
from domain.recommendations.service import DEGRADED, RecommenderService


def similar_engines(service: RecommenderService) -> list[str]:
    """The installed engines with a ``similar`` role, in their order."""
    roles = {n: i["similar"] for n, i in service.info.items() if i.get("similar") is not None}
    return sorted(roles, key=lambda n: (roles[n], n))


def nothing_similar(session: Session, service: RecommenderService, track_id: int) -> NotReady:
    """The error that explains why no engine finds tracks similar to ``track_id``."""
    engines = similar_engines(service)
    named = " or ".join(engines) or "an engine that finds similar tracks"
    loaded = [(n, service.models[n].active) for n in engines if n in service.models]
    retrain = f'an admin can run retrain(engine: "{engines[0]}")' if engines else "install one"
    if not loaded:
        return NotReady(f"No model that finds similar tracks is trained yet ({named}); it is used as soon as "
                        f"training activates one ({retrain})", reason="NO_MODEL", engines=engines)
    health = {n: service.health(n) for n, _ in loaded}
    if all(h.status == DEGRADED for h in health.values()):
        errors = "; ".join(f"{n}: {h.last_error}" for n, h in health.items())
        return NotReady(f"The engines that find similar tracks are failing ({errors})", reason="DEGRADED",
                        engines=[n for n, _ in loaded])
    if session.get(AudioFeatures, track_id) is None:
        return NotReady(f"Track {track_id} has no audio features, so {named} cannot compare it, and no other "
                        "engine has learned from its plays yet", reason="NO_AUDIO_FEATURES", engines=engines)
    name, active = max(loaded, key=lambda pair: pair[1].trained_at)
    return NotReady(
        f"Track {track_id} was added after {name} v{active.version} was trained "
        f"({active.trained_at:%Y-%m-%d %H:%M} UTC); it gets its cluster when {name} is retrained, which every "
        f"catalog import queues ({retrain})",
        reason="NOT_IN_MODEL", engines=[name], trainedAt=active.trained_at.isoformat())
