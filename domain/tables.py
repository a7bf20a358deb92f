"""Every SQLModel table of 4.5Hz on one metadata (SPEC §2), for Alembic and the test fixtures.

Each area defines its tables in ``domain/<area>/tables.py``; the schema only changes through
Alembic migrations.
"""

from sqlmodel import SQLModel

from domain.accounts.tables import AuthToken, LoginFailure, User
from domain.catalog.tables import (
    Artist,
    AudioFeatures,
    Genre,
    Track,
    TrackArtist,
    TrackGenre,
    TrackSearchToken,
)
from domain.charts.tables import ChartHourly, ChartTop50
from domain.experiments.tables import RecommendationImpression
from domain.jobs.tables import JobState
from domain.listeners.tables import SimilarUser
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from domain.recommendations.tables import ModelArtifact, ModelVersion
from domain.stats.tables import (
    ArtistFirstPlay,
    ListeningRollup,
    OverallArtistFirstPlay,
    OverallDailyStats,
    OverallListeningRollup,
    UserDailyStats,
)

metadata = SQLModel.metadata

__all__ = [
    "Artist", "ArtistFirstPlay", "AudioFeatures", "AuthToken", "ChartHourly", "ChartTop50",
    "Genre", "JobState", "ListeningRollup", "LoginFailure", "ModelArtifact", "ModelVersion",
    "OverallArtistFirstPlay", "OverallDailyStats", "OverallListeningRollup",
    "PlayEvent", "Playlist", "PlaylistItem", "RecommendationImpression", "SimilarUser", "Track", "TrackArtist", "TrackGenre",
    "TrackSearchToken", "User", "UserDailyStats", "metadata",
]
