"""SQLModel tables of 4.5Hz (SPEC §2). The schema only changes through Alembic migrations."""

from sqlmodel import SQLModel

from api.models.accounts import AuthToken, LoginFailure, Playlist, PlaylistItem, User
from api.models.activity import (
    ChartHourly,
    ChartTop50,
    JobState,
    ModelArtifact,
    ModelVersion,
    OverallDailyStats,
    PlayEvent,
    UserDailyStats,
)
from api.models.catalog import (
    AUDIO_FEATURE_COLUMNS,
    Artist,
    AudioFeatures,
    Genre,
    Track,
    TrackArtist,
    TrackGenre,
    TrackSearchToken,
)
from api.models.types import utcnow

metadata = SQLModel.metadata

__all__ = [
    "AUDIO_FEATURE_COLUMNS", "Artist", "AudioFeatures", "AuthToken", "ChartHourly", "ChartTop50",
    "Genre", "JobState", "LoginFailure", "ModelArtifact", "ModelVersion", "OverallDailyStats",
    "PlayEvent", "Playlist", "PlaylistItem", "Track", "TrackArtist", "TrackGenre",
    "TrackSearchToken", "User", "UserDailyStats", "metadata", "utcnow",
]
