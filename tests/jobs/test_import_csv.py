"""CSV import: cleaning rules, genre merging, idempotency, and the real public file."""

from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa

from domain.catalog.tables import AudioFeatures, Genre, Track, TrackGenre
from jobs.import_csv import CsvFormatError, clean_tracks, import_csv, read_tracks_csv
from tests.support.datasets import require_data
from tests.support.tracks_csv import HEADER, row


def test_cleaning_counts(small_csv):
    tracks, report = clean_tracks(read_tracks_csv(small_csv))
    assert report.rows_read == 46
    assert report.dropped_missing == 2
    assert report.merged_duplicate_rows == 2
    assert report.dropped_tempo_outliers == 2
    assert report.tracks_kept == 40 == len(tracks)
    merged = tracks.set_index("track_id").loc["t001", "genres"]
    assert merged == ["pop", "rock", "acoustic"]


def test_genre_filter(small_csv):
    tracks, report = clean_tracks(read_tracks_csv(small_csv), genres=["rock"])
    assert list(tracks["track_id"]) == ["t001"] and tracks.iloc[0]["genres"] == ["rock"]
    assert report.dropped_other_genres == 43


def test_import_is_idempotent_and_keeps_every_genre(small_csv, db_url, db_engine):
    first = import_csv(str(small_csv), database_url=db_url)
    assert (first["tracks_inserted"], first["tracks_updated"], first["artists_inserted"]) == (40, 0, 3)
    second = import_csv(str(small_csv), database_url=db_url)
    assert (second["tracks_inserted"], second["tracks_updated"], second["artists_inserted"]) == (40 - 40, 40, 0)
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Track)).scalar() == 40
        assert conn.execute(sa.select(sa.func.count()).select_from(AudioFeatures)).scalar() == 40
        genres = conn.execute(
            sa.select(Genre.name).join(TrackGenre).join(Track).where(Track.spotify_id == "t001")
            .order_by(TrackGenre.is_primary.desc(), Genre.name)
        ).scalars().all()
    assert genres == ["pop", "acoustic", "rock"]


def test_reimport_keeps_derived_audio_columns(small_csv, db_url, db_engine):
    import_csv(str(small_csv), database_url=db_url)
    with db_engine.begin() as conn:
        conn.execute(sa.update(AudioFeatures).values(gmm_cluster=3, pca_x=1.5))
    import_csv(str(small_csv), database_url=db_url)
    with db_engine.connect() as conn:
        clusters = set(conn.execute(sa.select(AudioFeatures.gmm_cluster)).scalars())
    assert clusters == {3}


def test_names_longer_than_the_columns_are_cut_not_refused(tmp_path, db_url, db_engine):
    """The public file has a 511-character track name; PostgreSQL would refuse the whole batch."""
    path = tmp_path / "long.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(row(0, "long", "x" * 511, "Solo", "pop"))
        writer.writerow(row(1, "short", "Short", "Solo", "pop"))
    assert import_csv(str(path), database_url=db_url)["tracks_inserted"] == 2
    with db_engine.connect() as conn:
        name = conn.execute(sa.select(Track.name).where(Track.spotify_id == "long")).scalar()
    assert name == "x" * Track.__table__.c.name.type.length


def test_wrong_format_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(CsvFormatError, match="missing columns"):
        read_tracks_csv(path)


def test_real_dataset_deck_genres(sqlite_url):
    path = require_data("spotify_tracks/dataset.csv")
    deck = ["acoustic", "dance", "edm", "hip-hop", "pop", "r-n-b", "rock", "romance", "soul", "k-pop"]
    report = import_csv(str(path), genres=deck, database_url=sqlite_url)
    assert report["rows_read"] == 114000
    # 1,000 rows per genre; one k-pop row lacks its artists and album
    assert report["dropped_missing"] == 1
    assert report["dropped_other_genres"] == 104000
    kept = report["tracks_kept"]
    assert 8000 < kept < 10000
    assert report["tracks_inserted"] == kept
