"""The deck-scale dataset: exact counts at a fraction, determinism, taste structure, ids afterwards."""

from __future__ import annotations

import csv
import hashlib
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from domain.accounts.tables import User
from domain.catalog.tables import AudioFeatures, Genre, Track
from domain.charts.tables import ChartHourly
from domain.db import create_db_engine
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from domain.stats.tables import OverallDailyStats, UserDailyStats
from hz45.cli import main
from jobs.deck_data import DeckConfig, default_tracks_csv, seed_deck
from jobs.deck_taste import Draws, TasteCatalog, genre_families
from jobs.demo_data import GENRE_PROFILE_COLUMNS, GENRE_PROFILES, GENRES
from jobs.import_csv import clean_tracks, read_tracks_csv
from tests.support.tracks_csv import HEADER

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
# Real-looking genres beyond the demo's: j-pop sounds like k-pop, sleep like romance.
LOOKALIKES = {"j-pop": "k-pop", "sleep": "romance"}
TINY = replace(DeckConfig.at_fraction(0.002), track_fraction=0.9)  # 20 users and playlists, 10,004 entries, 2,000 plays
CALM = ("romance", "sleep", "acoustic", "soul")


def write_genre_csv(path: Path, per_genre: int = 60, seed: int = 0) -> Path:
    """A tracks CSV over the demo's genres and two lookalikes, with per-genre audio, some multi-genre tracks."""
    rng = np.random.default_rng(seed)
    spread = np.array([0.08, 0.08, 1.5, 0.03, 0.1, 0.05, 0.05, 0.1, 8.0])
    rows, i = [], 0
    for genre in (*GENRES, *LOOKALIKES):
        profile = np.array(GENRE_PROFILES[LOOKALIKES.get(genre, genre)])
        for n in range(per_genre):
            f = dict(zip(GENRE_PROFILE_COLUMNS, profile + rng.normal(0, 1, 9) * spread, strict=True))
            rows.append([i, f"{genre}-{n:03d}", f"Artist {genre} {n % 7}", "Album", f"Song {genre} {n}",
                         int(rng.integers(0, 90)), 200000, "False", *(round(float(f[c]), 4) for c in
                         ("danceability", "energy")), 5, round(float(f["loudness"]), 3), 1,
                         *(round(float(min(1, max(0, f[c]))), 4) for c in
                           ("speechiness", "acousticness", "instrumentalness", "liveness", "valence")),
                         round(float(f["tempo"]), 3), 4, genre])
            i += 1
    rows.append([*rows[0][:-1], "pop"])  # the first track is listed under a second genre
    rows.append([i + 1, "zero-tempo", "Solo", "Album", "Zero", 10, 200000, "False", 0.5, 0.5, 5, -6.0, 1,
                 0.05, 0.2, 0.0, 0.1, 0.5, 0.0, 4, "pop"])  # dropped by the cleaning
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def genre_csv(tmp_path_factory) -> Path:
    return write_genre_csv(tmp_path_factory.mktemp("deck") / "dataset.csv")


def _sqlite_copy(directory: Path, template: Path) -> str:
    shutil.copy(template, directory / "deck.db")
    return f"sqlite:///{directory}/deck.db"


def _seed(url: str, csv_path: Path, config: DeckConfig = TINY) -> dict:
    engine = create_db_engine(url)
    lines: list[str] = []
    report = seed_deck(engine, config, tracks_csv=csv_path, now=NOW, echo=lines.append)
    engine.dispose()
    return {"counts": report.counts, "seconds": report.seconds, "lines": lines}


def _count(conn, table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def _digest(url: str) -> str:
    """The generated data, keyed by names instead of ids, as one hash."""
    engine = create_db_engine(url)
    queries = [
        sa.select(User.nickname, User.name, User.birth_date, User.gender, User.created_at).order_by(User.nickname),
        sa.select(User.nickname, Playlist.name, Playlist.is_default).join(User).order_by(User.nickname, Playlist.name),
        sa.select(User.nickname, Playlist.name, Track.spotify_id, PlaylistItem.rating, PlaylistItem.added_at)
        .select_from(PlaylistItem).join(Playlist).join(User).join(Track, Track.id == PlaylistItem.track_id)
        .order_by(User.nickname, Playlist.name, Track.spotify_id),
        sa.select(PlayEvent.id - sa.select(sa.func.min(PlayEvent.id)).scalar_subquery(), User.nickname,
                  Track.spotify_id, PlayEvent.played_at, PlayEvent.source)
        .select_from(PlayEvent).join(User).join(Track, Track.id == PlayEvent.track_id).order_by(PlayEvent.id),
    ]
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for query in queries:
            digest.update(repr([tuple(r) for r in conn.execute(query)]).encode())
    engine.dispose()
    return digest.hexdigest()


def test_fraction_scales_every_count():
    assert DeckConfig() == DeckConfig.at_fraction(1.0)
    assert (DeckConfig().users, DeckConfig().playlists, DeckConfig().rated_entries, DeckConfig().plays) == (
        10_000, 10_000, 5_002_000, 1_000_000)
    for fraction, expected in ((0.1, (1_000, 1_000, 500_200, 100_000)), (0.3, (3_000, 3_000, 1_500_600, 300_000))):
        config = DeckConfig.at_fraction(fraction, seed=3)
        assert (config.users, config.playlists, config.rated_entries, config.plays) == expected
        assert (config.track_fraction, config.seed) == (fraction, 3)
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError):
            DeckConfig.at_fraction(bad)


def test_seed_deck_stores_the_requested_scale(db_url, genre_csv):
    cleaned, _ = clean_tracks(read_tracks_csv(genre_csv))
    engine = create_db_engine(db_url)
    schema_before = _schema(engine)
    result = _seed(db_url, genre_csv)
    assert result["counts"] == {"tracks": round(0.9 * len(cleaned)), "users": 20, "playlists": 20,
                                "ratings": 10_004, "plays": 2_000}
    assert _schema(engine) == schema_before  # indexes and constraints dropped for the load are back
    with engine.connect() as conn:
        assert _count(conn, Track) == _count(conn, AudioFeatures) == round(0.9 * len(cleaned))
        assert (_count(conn, User), _count(conn, Playlist)) == (20, 20)
        assert _count(conn, PlaylistItem) == 10_004 and _count(conn, PlayEvent) == 2_000
        assert conn.execute(sa.select(sa.func.count(sa.distinct(Playlist.user_id))).where(Playlist.is_default)).scalar() == 20
        assert set(conn.execute(sa.select(PlaylistItem.rating).distinct()).scalars()) <= set(range(6))
        first, last = conn.execute(sa.select(sa.func.min(PlayEvent.played_at), sa.func.max(PlayEvent.played_at))).one()
        assert NOW - timedelta(days=7) <= first and last < NOW
        # Stored times compare with bound parameters (SQLite keeps them as text).
        assert conn.execute(sa.select(sa.func.count()).where(PlayEvent.played_at >= first)).scalar() == 2_000
        assert conn.execute(sa.select(sa.func.count()).where(PlayEvent.played_at == first)).scalar() >= 1
        # Ids follow play time; the scheduled jobs' tables are filled.
        times = conn.execute(sa.select(PlayEvent.played_at).order_by(PlayEvent.id)).scalars().all()
        assert times == sorted(times)
        assert _count(conn, ChartHourly) > 0 and _count(conn, OverallDailyStats) == 8
        assert _count(conn, UserDailyStats) >= 20
    assert any("playlist items" in line and "10,004" in line for line in result["lines"])
    assert set(result["seconds"]) >= {"catalog", "users", "playlists", "plays", "aggregates"}
    _insert_one_of_each(engine)
    engine.dispose()


def _schema(engine) -> tuple:
    inspector = sa.inspect(engine)
    tables = ("playlist_item", "play_event")
    return tuple((sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(t)),
                  sorted((f["name"], tuple(f["constrained_columns"])) for f in inspector.get_foreign_keys(t)),
                  sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(t)))
                 for t in tables)


def _insert_one_of_each(engine) -> None:
    """Rows that let the database choose their ids go in after the generated ones."""
    with engine.begin() as conn:
        biggest = {t: conn.execute(sa.select(sa.func.max(t.c.id))).scalar()
                   for t in (User.__table__, Playlist.__table__, PlaylistItem.__table__, PlayEvent.__table__)}
        user = conn.execute(sa.insert(User).values(
            nickname="newcomer", name="New", birth_date=NOW.date(), gender="OTHER", password_hash="!",
            created_at=NOW).returning(User.id)).scalar()
        playlist = conn.execute(sa.insert(Playlist).values(
            user_id=user, name="Mine", is_default=True, created_at=NOW).returning(Playlist.id)).scalar()
        track = conn.execute(sa.select(Track.id).limit(1)).scalar()
        item = conn.execute(sa.insert(PlaylistItem).values(
            playlist_id=playlist, track_id=track, rating=4, added_at=NOW).returning(PlaylistItem.id)).scalar()
        play = conn.execute(sa.insert(PlayEvent).values(
            user_id=user, track_id=track, played_at=NOW).returning(PlayEvent.id)).scalar()
    assert (user, playlist, item, play) == tuple(v + 1 for v in biggest.values())


def test_same_seed_same_data_on_every_backend(db_url, genre_csv, tmp_path, sqlite_template):
    _seed(db_url, genre_csv)
    reference = _sqlite_copy(tmp_path, sqlite_template)
    _seed(reference, genre_csv)
    assert _digest(db_url) == _digest(reference)
    other = tmp_path / "other"
    other.mkdir()
    other_url = _sqlite_copy(other, sqlite_template)
    _seed(other_url, genre_csv, replace(TINY, seed=TINY.seed + 1))
    assert _digest(other_url) != _digest(reference)


def test_tastes_follow_age_and_gender(sqlite_url, genre_csv):
    config = DeckConfig(users=400, playlists=450, rated_entries=12_000, plays=24_000, seed=5)
    _seed(sqlite_url, genre_csv, config)
    engine = create_db_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(User.birth_date, User.gender, Genre.name, AudioFeatures.energy)
            .select_from(PlayEvent).join(User).join(Track, Track.id == PlayEvent.track_id)
            .join(Genre, Genre.id == Track.primary_genre_id).join(AudioFeatures, AudioFeatures.track_id == Track.id)
        ).all()
        names = conn.execute(sa.select(Playlist.name, sa.func.count()).group_by(Playlist.name)).all()
    engine.dispose()
    assert dict(names)["My playlist"] == 400 and sum(n for _, n in names) == 450
    frame = pd.DataFrame(rows, columns=["birth", "gender", "genre", "energy"])
    frame["age"] = [(NOW.date() - b).days // 365 for b in frame["birth"]]
    young, old = frame[frame["age"] < 30], frame[frame["age"] >= 50]
    # The demo's tilts carry over: k-pop and its lookalike for the young, calm genres for the old.
    pop_like = ["k-pop", "j-pop"]
    assert young["genre"].isin(pop_like).mean() > 2 * old["genre"].isin(pop_like).mean()
    assert old["genre"].isin(CALM).mean() > 1.5 * young["genre"].isin(CALM).mean()
    assert young["energy"].mean() > old["energy"].mean() + 0.1
    women, men = frame[frame["gender"] == "FEMALE"], frame[frame["gender"] == "MALE"]
    assert men["genre"].isin(["hip-hop", "rock", "edm"]).mean() > women["genre"].isin(["hip-hop", "rock", "edm"]).mean()


def test_real_genres_follow_their_namesake_or_nearest_family(genre_csv):
    tracks, _ = clean_tracks(read_tracks_csv(genre_csv))
    from jobs.deck_data import taste_catalog

    catalog = taste_catalog(tracks)
    families = dict(zip(catalog.genres, (GENRES[f] for f in genre_families(catalog)), strict=True))
    assert all(families[g] == g for g in GENRES)
    assert families["j-pop"] == "k-pop" and families["sleep"] == "romance"


def test_draws_without_replacement_skip_repeats_with_the_law_of_gumbel_top_k():
    appeal = np.tile([3.0, 2.0, 1.0, 0.0, 0.0, -1.0, 0.5, 2.5], 5)[None, :]
    draws = Draws(np.random.default_rng(0), appeal)
    rows, sizes = np.zeros(20_000, dtype=np.int64), np.full(20_000, 5)
    skipping = draws._skipping_repeats(rows, sizes).reshape(-1, 5)
    gumbel = draws._gumbel_top_k(rows, sizes).reshape(-1, 5)
    assert all(len(set(r)) == 5 for r in skipping)
    for position in (0, 4):
        share = [np.bincount(d[:, position], minlength=40) / len(d) for d in (skipping, gumbel)]
        assert np.abs(share[0] - share[1]).max() < 0.01
    # Lists of different sizes, one empty, come back list after list.
    mixed = Draws(np.random.default_rng(1), np.zeros((2, 100))).without_replacement(
        np.array([0, 1, 1]), np.array([3, 0, 10]))
    assert len(mixed) == 13 and len(set(mixed[3:])) == 10


def test_taste_catalog_counts_every_listed_genre():
    catalog = TasteCatalog(genres=("a", "b"), genre_codes=np.array([0, 0, 1, 1]), genre_starts=np.array([0, 1, 3]),
                           profiles=np.zeros((3, 9)), popularity=np.zeros(3))
    assert catalog.genre_counts.tolist() == [1, 2, 1] and catalog.primary_genre.tolist() == [0, 0, 1]


def test_a_fraction_too_small_for_the_playlists_fails_before_importing(sqlite_url, genre_csv):
    engine = create_db_engine(sqlite_url)
    with pytest.raises(ValueError, match="do not fit"):
        seed_deck(engine, DeckConfig.at_fraction(0.002), tracks_csv=genre_csv, now=NOW, echo=lambda _: None)
    with engine.connect() as conn:
        assert _count(conn, Track) == 0
    engine.dispose()


def test_cli_deck_scale_options(tmp_path, genre_csv, monkeypatch):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    misplaced = runner.invoke(main, ["seed-demo", "--scale", "deck", "--users", "5"], env=env)
    assert misplaced.exit_code == 2 and "--users cannot be used with --scale deck" in misplaced.output
    demo_only = runner.invoke(main, ["seed-demo", "--fraction", "0.5"], env=env)
    assert demo_only.exit_code == 2 and "--fraction" in demo_only.output
    monkeypatch.setenv("HZ45_DATA_DIR", str(tmp_path / "nowhere"))
    assert default_tracks_csv() == tmp_path / "nowhere" / "spotify_tracks" / "dataset.csv"
    missing = runner.invoke(main, ["seed-demo", "--scale", "deck"], env=env)
    assert missing.exit_code == 1 and "HZ45_DATA_DIR" in missing.output
    too_small = runner.invoke(main, ["seed-demo", "--scale", "deck", "--fraction", "0.002",
                                     "--tracks-csv", str(genre_csv)], env=env)
    # Progress lines, then the one-line reason (before anything was imported).
    assert too_small.exit_code == 1 and too_small.stderr.splitlines()[-1].startswith("error: ValueError: 10,004")
    assert "do not fit" in too_small.stderr


def test_cli_seeds_the_deck_from_the_real_csv(tmp_path):
    path = default_tracks_csv()
    if not path.is_file():
        pytest.skip(f"the Spotify tracks CSV is not at {path}")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    seeded = runner.invoke(main, ["seed-demo", "--scale", "deck", "--fraction", "0.01"], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert "seeded 892 tracks, 100 users, 100 playlists, 50020 ratings, 10000 plays" in seeded.stdout
    assert "deck: plays: 10,000 rows" in seeded.stderr
