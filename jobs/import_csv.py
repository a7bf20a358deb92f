"""Import the public Spotify tracks CSV format into the catalog, with the deck's cleaning.

Columns: ``track_id, artists, album_name, track_name, popularity, duration_ms, explicit,
danceability, …, time_signature, track_genre``. The public file repeats a track once per genre
it is listed under; the import keeps one track and every genre (the first one as primary).
Once stored, the trained engines that learn from the catalog are queued for retraining, so that
the new tracks get their content clusters (:mod:`jobs.catalog_changes`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from domain.catalog.store import ArtistRecord, TrackRecord, artist_id_from_name, upsert_catalog
from domain.catalog.tables import AUDIO_FEATURE_COLUMNS, Track
from jobs.catalog_changes import queue_catalog_retrain
from jobs.context import job_context

REQUIRED_COLUMNS = ("track_id", "artists", "track_name", "track_genre", *AUDIO_FEATURE_COLUMNS)
OPTIONAL_COLUMNS = ("album_name", "popularity", "duration_ms", "explicit")


class CsvFormatError(ValueError):
    """The file is not in the Spotify tracks CSV format."""


class UnknownGenresError(ValueError):
    """Genres asked for that the file does not list."""


class NothingToImportError(ValueError):
    """No row of the file survived the cleaning."""


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
    # {"engine", "job_id"} of each retraining queued for the new tracks
    retrain_jobs: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def tempo_range(tempo: pd.Series, k: float = 1.5) -> tuple[float, float]:
    """Tukey's fences on the positive tempos: [Q1 - k·IQR, Q3 + k·IQR]."""
    positive = tempo[tempo > 0]
    q1, q3 = np.percentile(positive, [25, 75]) if len(positive) else (0.0, 0.0)
    return float(q1 - k * (q3 - q1)), float(q3 + k * (q3 - q1))


def read_tracks_csv(path: str | Path) -> pd.DataFrame:
    """The CSV as a DataFrame; :class:`CsvFormatError` when it is not in the expected format."""
    not_ours = f"{path} is not a Spotify tracks CSV"
    expected = f"a header with {', '.join(REQUIRED_COLUMNS[:4])} and the audio features"
    try:
        header = pd.read_csv(path, nrows=0).columns
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if len(missing) == len(REQUIRED_COLUMNS):
            raise CsvFormatError(f"{not_ours}: missing columns (its first line should be {expected})")
        if missing:
            raise CsvFormatError(f"{not_ours}: missing columns {', '.join(missing)}")
        frame = pd.read_csv(path, index_col=None, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise CsvFormatError(f"{not_ours} ({reason}); expected comma-separated UTF-8 text with {expected}") from None
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
        check_genres(genres, frame["track_genre"])
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


def check_genres(wanted: list[str], listed: pd.Series) -> None:
    """:class:`UnknownGenresError` naming the known genres when ``wanted`` has others."""
    known = sorted(set(listed.astype(str)))
    unknown = [g for g in dict.fromkeys(wanted) if g not in known]
    if unknown:
        raise UnknownGenresError(f"unknown genres {', '.join(unknown)}; the file lists {len(known)}: {', '.join(known)}")


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
    retrain: bool = True,
) -> dict:
    """Job: import the CSV at ``path`` (optionally only ``genres``); idempotent. Returns counts.

    With ``retrain``, the trained engines that learn from the catalog are queued for retraining
    (their job ids are in ``retrain_jobs``), so the imported tracks get clusters.
    """
    tracks, report = clean_tracks(read_tracks_csv(path), genres, tempo_k)
    if not report.tracks_kept:
        raise NothingToImportError(
            f"no track of {path} passed the cleaning ({report.rows_read} rows: {report.dropped_missing} "
            f"incomplete, {report.dropped_other_genres} of other genres, {report.dropped_tempo_outliers} "
            "tempo outliers); nothing was imported")
    with job_context(database_url) as job:
        counts = upsert_catalog(job.engine, track_records(tracks))
        if retrain:
            report.retrain_jobs = queue_catalog_retrain(job, counts.tracks_inserted + counts.tracks_updated)
    report.tracks_inserted = counts.tracks_inserted
    report.tracks_updated = counts.tracks_updated
    report.artists_inserted = counts.artists_inserted
    return report.as_dict()
