"""Catalog tables: artists, tracks, genres and audio features."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import SearchToken, UTCDateTime, utcnow


class Artist(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    spotify_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=500, index=True)
    genres: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    popularity: int | None = None
    followers: int | None = None


class Genre(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)


class Track(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_track_popularity_id", "popularity", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    spotify_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=500)
    album: str | None = Field(default=None, max_length=500)
    release_date: str | None = Field(default=None, max_length=10)  # "2019", "2019-05" or "2019-05-01"
    popularity: int = Field(default=0, ge=0, le=100)
    duration_ms: int | None = None
    explicit: bool = False
    primary_genre_id: int | None = Field(default=None, foreign_key="genre.id", index=True)
    preview_url: str | None = Field(default=None, max_length=500)
    spotify_uri: str | None = Field(default=None, max_length=100)
    # "ok", "missing" (never fetched) or "unavailable" (the API refused); the content engine
    # only uses tracks whose audio_features row exists.
    audio_features_status: str = Field(default="ok", max_length=20)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrackArtist(SQLModel, table=True):
    __tablename__ = "track_artist"
    track_id: int = Field(foreign_key="track.id", primary_key=True, ondelete="CASCADE")
    artist_id: int = Field(foreign_key="artist.id", primary_key=True, index=True)
    position: int = 0


class TrackGenre(SQLModel, table=True):
    """A track listed under a genre; popularity is copied here so browsing is index-only."""

    __tablename__ = "track_genre"
    __table_args__ = (
        sa.Index("ix_track_genre_browse", "genre_id", "popularity", "track_id"),
    )
    track_id: int = Field(foreign_key="track.id", primary_key=True, ondelete="CASCADE")
    genre_id: int = Field(foreign_key="genre.id", primary_key=True)
    is_primary: bool = False
    popularity: int = 0


class TrackSearchToken(SQLModel, table=True):
    """One normalised word of a track's name or artists, for word-prefix search."""

    __tablename__ = "track_search_token"
    token: str = Field(sa_type=SearchToken, primary_key=True)
    track_id: int = Field(foreign_key="track.id", primary_key=True, ondelete="CASCADE", index=True)


class AudioFeatures(SQLModel, table=True):
    __tablename__ = "audio_features"
    track_id: int = Field(foreign_key="track.id", primary_key=True, ondelete="CASCADE")
    danceability: float
    energy: float
    key: int
    loudness: float
    mode: int
    speechiness: float
    acousticness: float
    instrumentalness: float
    liveness: float
    valence: float
    tempo: float
    time_signature: int
    pca_x: float | None = None
    pca_y: float | None = None
    gmm_cluster: int | None = Field(default=None, index=True)


AUDIO_FEATURE_COLUMNS = (
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo", "time_signature",
)
