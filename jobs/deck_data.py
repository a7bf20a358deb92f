"""The original product's scale (the deck): the real Spotify catalog and deck-sized activity.

``seed_deck`` imports the public Spotify tracks CSV (cleaned as ``hz45 import-csv`` does: ~89k
tracks), then generates 10,000 users across ages and genders, 10,000 playlists holding 5,002,000
rated entries and 1,000,000 plays over the last week, all drawn from the demo's structured
tastes (:mod:`jobs.deck_taste`). :meth:`DeckConfig.at_fraction` scales every count, tracks
included, for cost benchmarks at 10 % or 30 %. Same seed, same data.

Activity is generated with numpy a block of users at a time and written with
:mod:`jobs.bulk_load` (COPY on PostgreSQL) with ids handed out here, in one transaction; the
id sequences are then moved past them. Afterwards the charts are rebuilt from the log and the
daily statistics computed for every day with plays, as the scheduled jobs would. Each stage
prints progress lines with counts and rates (to stderr by default).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain.accounts.tables import User
from domain.catalog.store import upsert_catalog
from domain.catalog.tables import Artist, AudioFeatures, Genre, Track, TrackArtist, TrackGenre, TrackSearchToken
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from domain.sql import chunked
from jobs.bulk_load import (
    drop_load_indexes,
    next_id,
    rebuild_load_indexes,
    refresh_statistics,
    reset_id_sequences,
    write_rows,
)
from jobs.charts import aggregate_charts
from jobs.deck_taste import (
    AppealModel,
    Draws,
    TasteCatalog,
    exact_split,
    ratings_for,
    user_tastes,
)
from jobs.demo_data import (
    AGES,
    BIRTH_SPREAD_DAYS,
    GENDER_SHARES,
    GENDERS,
    GENRE_PROFILE_COLUMNS,
    NAMES,
    UNUSABLE_PASSWORD,
    birth_date,
    taste_group,
)
from jobs.import_csv import track_records as csv_track_records  # the import's own TrackRecords
from jobs.import_csv import clean_tracks, read_tracks_csv
from jobs.stats import aggregate_overall_stats, aggregate_user_stats

# The original product's numbers.
DECK_USERS, DECK_PLAYLISTS, DECK_RATED_ENTRIES, DECK_PLAYS = 10_000, 10_000, 5_002_000, 1_000_000
ACCOUNT_AGE = timedelta(days=30)  # users joined (and filled their playlists) over the last 30 days
PLAY_SOURCE = "track_page"
CATALOG_BATCH = 10_000  # tracks per progress line of the catalog import
# Appeal cells (users × tracks) per block: a block's few arrays of this size stay ~100 MB.
BLOCK_CELLS = 2_000_000
PLAYS_PER_WRITE = 200_000  # plays per write (and at most one progress line each)
PROGRESS_EVERY_S = 5.0
CATALOG_TABLES = [t.__table__ for t in (Genre, Artist, Track, TrackArtist, TrackGenre, TrackSearchToken, AudioFeatures)]
ACTIVITY_TABLES = [t.__table__ for t in (User, Playlist, PlaylistItem, PlayEvent)]
BULK_TABLES = [PlaylistItem.__table__, PlayEvent.__table__]  # loaded without secondary indexes


@dataclass(frozen=True)
class DeckConfig:
    """How much to generate: the deck's numbers by default, or :meth:`at_fraction` of them."""

    users: int = DECK_USERS
    playlists: int = DECK_PLAYLISTS
    rated_entries: int = DECK_RATED_ENTRIES
    plays: int = DECK_PLAYS
    track_fraction: float = 1.0  # share of the cleaned CSV's tracks in the catalog
    days_of_plays: int = 7
    seed: int = 45

    @classmethod
    def at_fraction(cls, fraction: float, seed: int = 45) -> DeckConfig:
        """The deck scale times ``fraction`` (0 < fraction <= 1): users, playlists, entries, plays, tracks."""
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], not {fraction}")
        def scale(n: int) -> int:
            return max(1, round(n * fraction))
        return cls(users=scale(DECK_USERS), playlists=scale(DECK_PLAYLISTS),
                   rated_entries=scale(DECK_RATED_ENTRIES), plays=scale(DECK_PLAYS),
                   track_fraction=fraction, seed=seed)


@dataclass
class DeckReport:
    """What :func:`seed_deck` stored (counts by kind) and how long each stage took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, in order


def default_tracks_csv() -> Path:
    """The full Spotify tracks CSV: under $HZ45_DATA_DIR, else ``../shared/data`` from the repository."""
    data = os.environ.get("HZ45_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
    return Path(data) / "spotify_tracks" / "dataset.csv"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Stages:
    """Times the stages of a run and prints a start line, progress lines and a summary per stage."""

    def __init__(self, echo: Callable[[str], None] = _stderr):
        self.echo, self.seconds = echo, {}

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "rows") -> Iterator[Callable[[int], None]]:
        """A stage; the function it yields counts work done (``advance(n)``)."""
        started = last = time.perf_counter()
        done = 0
        self.echo(f"deck: {name}: started" + (f" ({total:,} {unit})" if total is not None else ""))

        def advance(n: int) -> None:
            nonlocal done, last
            done += n
            now = time.perf_counter()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                share = f"/{total:,}" if total else ""
                self.echo(f"deck: {name}: {done:,}{share} {unit}, {_rate(done, now - started)} {unit}/s")

        yield advance
        elapsed = time.perf_counter() - started
        self.seconds[name] = elapsed
        rate = f" ({_rate(done, elapsed)} {unit}/s)" if done and elapsed > 0 else ""
        self.echo(f"deck: {name}: {done:,} {unit} in {elapsed:.1f} s{rate}")


def _rate(done: int, seconds: float) -> str:
    rate = done / seconds
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:.2f}"


def load_catalog(engine: Engine, path: Path, config: DeckConfig, stages: Stages) -> tuple[np.ndarray, TasteCatalog]:
    """Import a seeded share of the cleaned CSV; its track ids and what the taste model needs."""
    with stages.stage("read csv", unit="tracks") as advance:
        tracks, _report = clean_tracks(read_tracks_csv(path))
        keep = max(1, round(len(tracks) * config.track_fraction))
        chosen = np.sort(np.random.default_rng([config.seed, 0]).choice(len(tracks), keep, replace=False))
        tracks = tracks.iloc[chosen].reset_index(drop=True)
        advance(len(tracks))
    check_fits(config, len(tracks))
    with stages.stage("catalog", total=len(tracks), unit="tracks") as advance:
        for batch in chunked(csv_track_records(tracks), CATALOG_BATCH):
            upsert_catalog(engine, batch)
            # Fresh statistics after each batch keep the import's lookups on their indexes
            # (on PostgreSQL it slows down quadratically without them).
            with engine.begin() as conn:
                refresh_statistics(conn, CATALOG_TABLES)
            advance(len(batch))
    with engine.connect() as conn:
        ids = dict(conn.execute(sa.select(Track.spotify_id, Track.id)).all())
    track_ids = np.array([ids[str(s)] for s in tracks["track_id"]], dtype=np.int64)
    return track_ids, taste_catalog(tracks)


def check_fits(config: DeckConfig, tracks: int) -> None:
    """Fail early when the playlists cannot hold the rated entries (a track at most once per playlist)."""
    if config.rated_entries > config.playlists * tracks:
        raise ValueError(
            f"{config.rated_entries:,} rated entries do not fit in {config.playlists:,} playlists of "
            f"{tracks:,} distinct tracks at most; use a larger fraction (deck scale: at least 0.006) or catalog")


def taste_catalog(tracks: pd.DataFrame) -> TasteCatalog:
    """The taste model's view of cleaned CSV tracks (one row per track, a ``genres`` list each)."""
    genres = tuple(sorted({g for listed in tracks["genres"] for g in listed}))
    code = {g: i for i, g in enumerate(genres)}
    lengths = tracks["genres"].map(len).to_numpy()
    return TasteCatalog(
        genres=genres,
        genre_codes=np.array([code[g] for listed in tracks["genres"] for g in listed], dtype=np.int64),
        genre_starts=np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64),
        profiles=tracks[list(GENRE_PROFILE_COLUMNS)].to_numpy(dtype=float),
        popularity=tracks["popularity"].fillna(0).to_numpy(dtype=float),
    )


@dataclass(frozen=True)
class People:
    """The generated users (arrays by user index) and their playlists (sorted by owner)."""

    birth: np.ndarray  # datetime64[D]
    taste_groups: np.ndarray
    genders: np.ndarray  # index into GENDERS
    owner: np.ndarray  # per playlist, its user's index
    rank: np.ndarray  # per playlist, 0 for its owner's default playlist, 1, 2, … after
    sizes: np.ndarray  # rated entries per playlist
    plays: np.ndarray  # plays per user


def generate_people(config: DeckConfig, catalog: TasteCatalog, today: date) -> People:
    """Users across ages and genders, who owns which playlist, and how much each holds and plays."""
    rng = np.random.default_rng([config.seed, 1])
    ages = rng.integers(*AGES, config.users)
    days = rng.integers(0, BIRTH_SPREAD_DAYS, config.users)
    births = [birth_date(today, int(a), int(d)) for a, d in zip(ages, days, strict=True)]
    genders = rng.choice(len(GENDERS), config.users, p=list(GENDER_SHARES))
    # Every user's default playlist first, extra playlists to random users.
    owner = np.concatenate([np.arange(min(config.users, config.playlists)),
                            rng.integers(0, config.users, max(0, config.playlists - config.users))])
    owner = np.sort(owner, kind="stable")
    rank = np.arange(len(owner)) - np.searchsorted(owner, owner)
    sizes = exact_split(rng, config.rated_entries, rng.lognormal(0, 0.5, config.playlists), cap=catalog.tracks)
    plays = exact_split(rng, config.plays, rng.lognormal(0, 0.8, config.users))
    return People(np.array(births, dtype="datetime64[D]"), np.array([taste_group(b, today) for b in births]),
                  genders, owner, rank, sizes, plays)


def seed_deck(
    engine: Engine,
    config: DeckConfig | None = None,
    tracks_csv: str | Path | None = None,
    now: datetime | None = None,
    echo: Callable[[str], None] = _stderr,
    aggregate: bool = True,
) -> DeckReport:
    """Import the catalog and generate the deck-scale activity; plays end at ``now`` (default: this hour)."""
    config = config or DeckConfig()
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    stages = Stages(echo)
    track_ids, catalog = load_catalog(engine, Path(tracks_csv or default_tracks_csv()), config, stages)
    people = generate_people(config, catalog, now.date())
    tastes = user_tastes(catalog, people.taste_groups, people.genders, np.random.default_rng([config.seed, 2]))
    with engine.begin() as conn:
        first_user = _write_users(conn, config, people, now, stages)
        first_playlist = _write_playlists(conn, people, first_user, now, stages)
        rebuild = drop_load_indexes(conn, BULK_TABLES)
        plays = _write_entries_and_draw_plays(conn, config, people, AppealModel(catalog, tastes), track_ids,
                                              first_playlist, now, stages)
        _write_plays(conn, plays, first_user, now, config, stages)
        with stages.stage("indexes and foreign keys", len(rebuild), unit="rebuilt") as advance:
            rebuild_load_indexes(conn, rebuild)
            advance(len(rebuild))
        reset_id_sequences(conn, ACTIVITY_TABLES)
    with stages.stage("analyze", len(ACTIVITY_TABLES), unit="tables") as advance, engine.begin() as conn:
        refresh_statistics(conn, ACTIVITY_TABLES)
        advance(len(ACTIVITY_TABLES))
    if aggregate:
        _aggregate(engine, now, config.days_of_plays, stages)
    counts = {"tracks": len(track_ids), "users": config.users, "playlists": config.playlists,
              "ratings": config.rated_entries, "plays": config.plays}
    return DeckReport(counts, stages.seconds)


def _write_users(conn: Connection, config: DeckConfig, people: People, now: datetime, stages: Stages) -> int:
    first = next_id(conn, User.__table__)
    index = np.arange(config.users)
    with stages.stage("users", config.users) as advance:
        advance(write_rows(conn, User.__table__, {
            "id": first + index,
            "nickname": np.array([f"listener{i:04d}" for i in index]),
            "name": np.array([f"{NAMES[i % len(NAMES)]} {i}" for i in index]),
            "birth_date": people.birth,
            "gender": np.array(GENDERS)[people.genders],
            "password_hash": np.full(config.users, UNUSABLE_PASSWORD),
            "is_admin": np.zeros(config.users, dtype=bool),
            "created_at": np.full(config.users, _utc64(now - ACCOUNT_AGE)),
        }))
    return first


def _write_playlists(conn: Connection, people: People, first_user: int, now: datetime, stages: Stages) -> int:
    first = next_id(conn, Playlist.__table__)
    with stages.stage("playlists", len(people.owner)) as advance:
        advance(write_rows(conn, Playlist.__table__, {
            "id": first + np.arange(len(people.owner)),
            "user_id": first_user + people.owner,
            "name": np.array(["My playlist" if r == 0 else f"Playlist {r + 1}" for r in people.rank]),
            "is_default": people.rank == 0,
            "created_at": np.full(len(people.owner), _utc64(now - ACCOUNT_AGE)),
        }))
    return first


def _user_blocks(users: int, tracks: int) -> Iterator[slice]:
    size = max(1, BLOCK_CELLS // tracks)
    for start in range(0, users, size):
        yield slice(start, min(users, start + size))


def _write_entries_and_draw_plays(conn, config, people, model, track_ids, first_playlist, now, stages):
    """Write the rated entries block by block; return the plays drawn alongside (user, track, second)."""
    first_entry = next_id(conn, PlaylistItem.__table__)
    joined = _utc64(now - ACCOUNT_AGE)
    played: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    span = config.days_of_plays * 86400
    with stages.stage("playlist items (drawing plays too)", config.rated_entries) as advance:
        for number, users in enumerate(_user_blocks(config.users, len(track_ids))):
            rng = np.random.default_rng([config.seed, 3, number])
            appeal = model.appeal(users)
            draws = Draws(rng, appeal)
            lists = slice(*np.searchsorted(people.owner, [users.start, users.stop]))
            rows = people.owner[lists] - users.start
            sizes = people.sizes[lists]
            tracks = draws.without_replacement(rows, sizes)
            entry_rows = np.repeat(rows, sizes)
            stars = ratings_for(rng, appeal, entry_rows, tracks)
            added = joined + rng.integers(0, int(ACCOUNT_AGE.total_seconds()), len(tracks)).astype("timedelta64[s]")
            written = write_rows(conn, PlaylistItem.__table__, {
                "id": first_entry + np.arange(len(tracks)),
                "playlist_id": first_playlist + np.repeat(np.arange(lists.start, lists.stop), sizes),
                "track_id": track_ids[tracks],
                "rating": stars,
                "added_at": added,
            })
            first_entry += written
            counts = people.plays[users]
            played.append((np.repeat(np.arange(users.start, users.stop), counts),
                           draws.plays(counts), rng.integers(0, span, counts.sum())))
            advance(written)
    users, tracks, seconds = (np.concatenate(parts) for parts in zip(*played, strict=True))
    return users, track_ids[tracks], seconds


def _write_plays(conn, plays, first_user: int, now: datetime, config: DeckConfig, stages: Stages) -> None:
    users, track_db_ids, seconds = plays
    order = np.lexsort((users, seconds))  # ids follow play time, as a live log's would
    start = _utc64(now - timedelta(days=config.days_of_plays))
    first = next_id(conn, PlayEvent.__table__)
    with stages.stage("plays", len(order)) as advance:
        for block in range(0, len(order), PLAYS_PER_WRITE):
            picked = order[block:block + PLAYS_PER_WRITE]
            advance(write_rows(conn, PlayEvent.__table__, {
                "id": first + block + np.arange(len(picked)),
                "user_id": first_user + users[picked],
                "track_id": track_db_ids[picked],
                "played_at": start + seconds[picked].astype("timedelta64[s]"),
                "source": np.full(len(picked), PLAY_SOURCE),
            }))


def _aggregate(engine: Engine, now: datetime, days: int, stages: Stages) -> None:
    """The scheduled jobs' work on the backfilled log: charts, and each day's statistics."""
    url = engine.url.render_as_string(hide_password=False)
    first_day = (now - timedelta(days=days)).date()
    with stages.stage("aggregates", days + 1, unit="days") as advance:
        aggregate_charts(full=True, now=now.isoformat(), database_url=url)
        for offset in range(days + 1):
            day = (first_day + timedelta(days=offset)).isoformat()
            aggregate_user_stats(day, database_url=url)
            aggregate_overall_stats(day, database_url=url)
            advance(1)


def _utc64(moment: datetime) -> np.datetime64:
    """``moment`` as naive UTC numpy time (how the columns store it)."""
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")

