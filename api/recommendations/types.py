"""Recommendation types: mixes, per-engine contributions, installed engines."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from api.catalog.types import Track


@strawberry.input(description="One engine of a mix and its weight (non-negative).")
class EngineWeightInput:
    engine: str
    weight: float


@strawberry.type(description="How much one engine added to a recommendation's score.")
class EngineContribution:
    engine: str
    score: float


@strawberry.type
class Recommendation:
    track: Track
    score: float
    reason: str
    contributions: list[EngineContribution]


@strawberry.type
class RecommendationList:
    mix_id: str = strawberry.field(
        description='Put "recommendation:<mixId>" in recordPlay\'s source when one of these is played.'
    )
    items: list[Recommendation]


@strawberry.type
class SimilarTrack:
    track: Track
    score: float
    engine: str


@strawberry.type
class ModelInfo:
    version: int
    trained_at: datetime
    metrics: JSON
    params: JSON


@strawberry.enum
class EngineStatus(Enum):
    READY = "READY"
    NOT_TRAINED = "NOT_TRAINED"
    # the active version cannot be loaded, or the engine's last serving call failed: see lastError
    DEGRADED = "DEGRADED"


@strawberry.type
class EngineInfo:
    name: str
    version: str
    description: str
    needs: list[str]
    builtin: bool
    status: EngineStatus
    default_weight: float
    active_model: ModelInfo | None
    last_error: str | None = strawberry.field(
        default=None, description="Why the engine is DEGRADED (or last was): its last loading or serving error.")
    last_error_at: datetime | None = None
