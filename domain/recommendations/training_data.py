"""Build the training snapshot the engines learn from, straight from the database."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.accounts.age_groups import age_group
from domain.accounts.tables import User
from domain.catalog.tables import AUDIO_FEATURE_COLUMNS, AudioFeatures, Genre, Track
from domain.playlists.tables import USER_MADE, Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from engines.base import TrainingData


def _epoch(column: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(column, utc=True)
    return (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def _frame(conn, statement, columns) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(statement).all(), columns=columns)


def _events(conn, statement, stamp, columns) -> pd.DataFrame:
    """Rows of ``statement`` plus ``stamp`` as epoch seconds (the last of ``columns``).

    On PostgreSQL the rows come through ``COPY ... TO STDOUT`` as CSV, with the epoch computed
    by the server: millions of rows in seconds, where building a Python row and a datetime for
    each takes minutes.
    """
    if conn.dialect.name != "postgresql":
        frame = _frame(conn, statement.add_columns(stamp), columns)
        if len(frame):
            frame[columns[-1]] = _epoch(frame[columns[-1]])
        return frame
    epoch = sa.cast(sa.func.floor(sa.extract("epoch", stamp)), sa.BigInteger)
    sql = statement.add_columns(epoch).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    buffer = io.BytesIO()
    with conn.connection.driver_connection.cursor().copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
    return pd.read_csv(buffer, names=columns, header=None, dtype="int64")


def load_snapshot(engine: Engine, today: date | None = None) -> TrainingData:
    """Ratings (playlists), plays, users (age group, gender) and items (features, genre)."""
    today = today or datetime.now(UTC).date()
    with engine.connect() as conn:
        # generated playlists (daily mix, ...) hold the service's picks, not the user's ratings
        ratings = _events(conn, sa.select(Playlist.user_id, PlaylistItem.track_id, PlaylistItem.rating).join(Playlist)
                          .where(Playlist.kind == USER_MADE),
                          PlaylistItem.added_at, ["user_id", "item_id", "rating", "timestamp"])
        plays = _events(conn, sa.select(PlayEvent.user_id, PlayEvent.track_id), PlayEvent.played_at,
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
        ratings["rating"] = ratings["rating"].astype(np.float64)
        # The same track in several playlists of a user: keep the latest rating.
        ratings = ratings.sort_values("timestamp").drop_duplicates(["user_id", "item_id"], keep="last")
    users["age_group"] = [age_group(b, today) for b in users["birth"]]
    users = users[["user_id", "age_group", "gender"]]
    return TrainingData(ratings=ratings.reset_index(drop=True), plays=plays, users=users, items=items)
