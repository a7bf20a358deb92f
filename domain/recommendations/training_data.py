"""Build the training snapshot the engines learn from, straight from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.accounts.age_groups import age_group
from domain.accounts.tables import User
from domain.catalog.tables import AUDIO_FEATURE_COLUMNS, AudioFeatures, Genre, Track
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from engines.base import TrainingData


def _epoch(column: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(column, utc=True)
    return (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def _frame(conn, statement, columns) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(statement).all(), columns=columns)


def load_snapshot(engine: Engine, today: date | None = None) -> TrainingData:
    """Ratings (playlists), plays, users (age group, gender) and items (features, genre)."""
    today = today or datetime.now(UTC).date()
    with engine.connect() as conn:
        ratings = _frame(conn, sa.select(Playlist.user_id, PlaylistItem.track_id, PlaylistItem.rating,
                                         PlaylistItem.added_at).join(Playlist),
                         ["user_id", "item_id", "rating", "timestamp"])
        plays = _frame(conn, sa.select(PlayEvent.user_id, PlayEvent.track_id, PlayEvent.played_at),
                       ["user_id", "item_id", "timestamp"])
        users = _frame(conn, sa.select(User.id, User.birth_date, User.gender), ["user_id", "birth", "gender"])
        feature_columns = [getattr(AudioFeatures, c) for c in AUDIO_FEATURE_COLUMNS]
        items = _frame(
            conn,
            sa.select(Track.id, Track.popularity, Genre.name, *feature_columns)
            .outerjoin(Genre, Genre.id == Track.primary_genre_id)
            .outerjoin(AudioFeatures, AudioFeatures.track_id == Track.id),
            ["item_id", "popularity", "genre", *AUDIO_FEATURE_COLUMNS],
        )
    if len(ratings):
        ratings["timestamp"] = _epoch(ratings["timestamp"])
        ratings["rating"] = ratings["rating"].astype(np.float64)
        # The same track in several playlists of a user: keep the latest rating.
        ratings = ratings.sort_values("timestamp").drop_duplicates(["user_id", "item_id"], keep="last")
    if len(plays):
        plays["timestamp"] = _epoch(plays["timestamp"])
    users["age_group"] = [age_group(b, today) for b in users["birth"]]
    users = users[["user_id", "age_group", "gender"]]
    return TrainingData(ratings=ratings.reset_index(drop=True), plays=plays, users=users, items=items)
