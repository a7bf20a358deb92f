"""Import the public Spotify tracks CSV format into the catalog, with the deck's cleaning.

Columns: ``track_id, artists, album_name, track_name, popularity, duration_ms, explicit,
danceability, …, time_signature, track_genre``. The public file repeats a track once per genre
it is listed under; the import keeps one track and every genre (the first one as primary).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from domain.catalog.store import ArtistRecord, TrackRecord, artist_id_from_name, upsert_catalog
from domain.catalog.tables import AUDIO_FEATURE_COLUMNS, Track
from jobs.context import job_context

REQUIRED_COLUMNS = ("track_id", "artists", "track_name", "track_genre", *AUDIO_FEATURE_COLUMNS)
OPTIONAL_COLUMNS = ("album_name", "popularity", "duration_ms", "explicit")


class CsvFormatError(ValueError):
    """The file is not in the Spotify tracks CSV format."""


@dataclass
class ImportReport:
    rows_read: int = 0
    dropped_missing: int = 0
    dropped_other_genres: int = 0
    merged_duplicate_rows: int = 0
    dropped_tempo_outliers: int = 0
    tracks_kept: int = 0
    tracks_inserted: int = 0
    tracks_updated: int = 0
    artists_inserted: int = 0
    tempo_range: tuple[float, float] = (0.0, 0.0)

    def as_dict(self) -> dict:
        return asdict(self)


def tempo_range(tempo: pd.Series, k: float = 1.5) -> tuple[float, float]:
    """Tukey's fences on the positive tempos: [Q1 - k·IQR, Q3 + k·IQR]."""
    positive = tempo[tempo > 0]
    q1, q3 = np.percentile(positive, [25, 75]) if len(positive) else (0.0, 0.0)
    return float(q1 - k * (q3 - q1)), float(q3 + k * (q3 - q1))


def read_tracks_csv(path: str | Path) -> pd.DataFrame:
    """The CSV as a DataFrame, checking that the required columns are there."""
    frame = pd.read_csv(path, index_col=None, keep_default_na=True)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise CsvFormatError(f"{path}: missing columns {', '.join(missing)}")
    for column in OPTIONAL_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame


NAME_LENGTH = Track.__table__.c.name.type.length


def clean_tracks(
    frame: pd.DataFrame, genres: list[str] | None = None, tempo_k: float = 1.5
) -> tuple[pd.DataFrame, ImportReport]:
    """Drop incomplete rows, merge a track's genre rows, drop tempo outliers.

    Returns one row per track with a ``genres`` list (primary first) and the report.
    """
    report = ImportReport(rows_read=len(frame))
    frame = frame.dropna(subset=list(REQUIRED_COLUMNS))
    frame = frame[frame["track_name"].astype(str).str.strip().ne("")
                  & frame["artists"].astype(str).str.strip().ne("")]
    report.dropped_missing = report.rows_read - len(frame)
    # Fences come from the whole file, so a genre filter does not move them.
    low, high = tempo_range(frame.drop_duplicates("track_id")["tempo"], tempo_k)
    if genres:
        before = len(frame)
        frame = frame[frame["track_genre"].isin(genres)]
        report.dropped_other_genres = before - len(frame)

    genre_lists = frame.groupby("track_id", sort=False)["track_genre"].agg(lambda g: list(dict.fromkeys(g)))
    unique = frame.drop_duplicates("track_id", keep="first").set_index("track_id")
    unique["genres"] = genre_lists
    report.merged_duplicate_rows = len(frame) - len(unique)

    report.tempo_range = (round(low, 3), round(high, 3))
    in_range = (unique["tempo"] > 0) & unique["tempo"].between(low, high)
    report.dropped_tempo_outliers = int((~in_range).sum())
    unique = unique[in_range].reset_index()
    report.tracks_kept = len(unique)
    return unique, report


def track_records(tracks: pd.DataFrame):
    """The catalog records of cleaned tracks (:func:`clean_tracks`), one per row."""
    features = tracks[list(AUDIO_FEATURE_COLUMNS)].to_dict("records")
    for row, audio in zip(tracks.itertuples(index=False), features, strict=True):
        names = [n.strip() for n in str(row.artists).split(";") if n.strip()]
        yield TrackRecord(
            spotify_id=str(row.track_id),
            # one name in the public file is longer than the column (511 > 500 characters):
            # SQLite would keep it, PostgreSQL refuses the whole batch
            name=str(row.track_name)[:NAME_LENGTH],
            artists=[ArtistRecord(spotify_id=artist_id_from_name(n), name=n) for n in names],
            genres=list(row.genres),
            album=None if pd.isna(row.album_name) else str(row.album_name)[:NAME_LENGTH],
            popularity=0 if pd.isna(row.popularity) else int(row.popularity),
            duration_ms=None if pd.isna(row.duration_ms) else int(row.duration_ms),
            explicit=str(row.explicit).strip().lower() == "true",
            spotify_uri=f"spotify:track:{row.track_id}",
            audio_features={k: (int(v) if k in ("key", "mode", "time_signature") else float(v))
                            for k, v in audio.items()},
        )


def import_csv(
    path: str,
    genres: list[str] | None = None,
    database_url: str | None = None,
    tempo_k: float = 1.5,
) -> dict:
    """Job: import the CSV at ``path`` (optionally only ``genres``); idempotent. Returns counts."""
    tracks, report = clean_tracks(read_tracks_csv(path), genres, tempo_k)
    with job_context(database_url) as job:
        counts = upsert_catalog(job.engine, track_records(tracks))
    report.tracks_inserted = counts.tracks_inserted
    report.tracks_updated = counts.tracks_updated
    report.artists_inserted = counts.artists_inserted
    return report.as_dict()
