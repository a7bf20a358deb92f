"""A deterministic demo dataset whose tastes carry real structure (SPEC §6).

Every user has latent preferences: a genre taste that depends on age group and gender, and an
audio taste (energy, valence, danceability, acousticness) shared by their demographic plus a
personal offset. Ratings, playlists and plays are all drawn from the same appeal score, so
collaborative, content and demographic recommenders each have signal to find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.accounts.age_groups import age_group
from domain.accounts.demo_logins import DEMO_LISTENER
from domain.accounts.passwords import UNUSABLE_PASSWORD  # generated listeners cannot log in
from domain.accounts.tables import User
from domain.catalog.store import ArtistRecord, TrackRecord, upsert_catalog
from domain.catalog.tables import Track
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent

GENRES = ("acoustic", "dance", "edm", "hip-hop", "pop", "r-n-b", "rock", "romance", "soul", "k-pop")
GENDERS = ("FEMALE", "MALE", "OTHER")
GENDER_SHARES = (0.48, 0.48, 0.04)
AGES = (14, 68)  # ages drawn uniformly from [14, 68)

# The taste model (shared with jobs.deck_data): appeal = GENRE_WEIGHT * genre taste
# + AUDIO_WEIGHT * (standardised AUDIO_TASTE_COLUMNS of the track · audio taste), where a user's
# tastes are their demographic's plus personal noise of these spreads.
AUDIO_TASTE_COLUMNS = ("danceability", "energy", "acousticness", "valence")
GENRE_WEIGHT, AUDIO_WEIGHT = 1.5, 0.6
GENRE_NOISE, AUDIO_NOISE = 0.6, 0.5

# Per-genre means of GENRE_PROFILE_COLUMNS.
GENRE_PROFILE_COLUMNS = ("danceability", "energy", "loudness", "speechiness", "acousticness",
                         "instrumentalness", "liveness", "valence", "tempo")
GENRE_PROFILES = {
    "acoustic": (0.55, 0.35, -11.0, 0.05, 0.75, 0.05, 0.15, 0.45, 110),
    "dance":    (0.75, 0.75, -5.5, 0.08, 0.12, 0.02, 0.18, 0.62, 122),
    "edm":      (0.65, 0.88, -4.5, 0.07, 0.04, 0.35, 0.25, 0.40, 128),
    "hip-hop":  (0.78, 0.65, -6.5, 0.28, 0.15, 0.01, 0.20, 0.50, 96),
    "pop":      (0.67, 0.66, -6.0, 0.07, 0.22, 0.01, 0.17, 0.55, 118),
    "r-n-b":    (0.66, 0.55, -7.5, 0.12, 0.28, 0.02, 0.15, 0.48, 102),
    "rock":     (0.48, 0.82, -5.8, 0.06, 0.08, 0.08, 0.22, 0.45, 132),
    "romance":  (0.50, 0.30, -12.0, 0.04, 0.70, 0.10, 0.14, 0.30, 100),
    "soul":     (0.58, 0.50, -8.5, 0.06, 0.40, 0.03, 0.17, 0.58, 106),
    "k-pop":    (0.70, 0.78, -4.8, 0.09, 0.14, 0.01, 0.19, 0.62, 120),
}
# Genre taste by age group (decade) — young listeners lean to k-pop/dance/hip-hop, older ones
# to acoustic/soul/rock/romance — and a gender tilt.
_AGE_TILT = {
    10: {"k-pop": 1.6, "dance": 0.8, "hip-hop": 0.9, "pop": 0.6, "edm": 0.5},
    20: {"k-pop": 1.0, "hip-hop": 0.9, "edm": 0.8, "pop": 0.7, "r-n-b": 0.6, "dance": 0.6},
    30: {"pop": 0.7, "r-n-b": 0.8, "rock": 0.5, "soul": 0.4, "acoustic": 0.3},
    40: {"rock": 1.0, "soul": 0.8, "acoustic": 0.6, "romance": 0.5},
    50: {"soul": 1.0, "romance": 1.0, "acoustic": 0.9, "rock": 0.6},
    60: {"romance": 1.3, "acoustic": 1.0, "soul": 1.0},
}
_GENDER_TILT = {
    "FEMALE": {"k-pop": 0.5, "pop": 0.4, "acoustic": 0.3, "romance": 0.3, "r-n-b": 0.2},
    "MALE": {"hip-hop": 0.5, "rock": 0.5, "edm": 0.4, "dance": 0.1},
    "OTHER": {"edm": 0.3, "r-n-b": 0.3, "soul": 0.3},
}
_WORDS = (
    "Midnight", "Echo", "Summer", "Neon", "Rain", "Golden", "Heart", "City", "Dream", "Fire",
    "Ocean", "Blue", "Moon", "Star", "Road", "Light", "Shadow", "Wild", "Sweet", "Lonely",
    "Electric", "Velvet", "Paper", "Silver", "River", "Morning", "Highway", "Love", "Ghost", "Bloom",
)
NAMES = ("Min", "Ji", "Seo", "Hyun", "Yu", "Do", "Ha", "Jun", "Soo", "Eun", "Ara", "Tae", "Woo", "Rin")


@dataclass
class DemoConfig:
    tracks: int = 4000
    artists: int = 600
    users: int = 2000
    days_of_plays: int = 4
    plays_per_user: tuple[int, int] = (5, 40)
    playlist_size: tuple[int, int] = (8, 40)
    seed: int = 45
    # Also generate the demo login's listener (domain.accounts.demo_logins.DEMO_LISTENER) with a
    # history of its own; the other listeners are the same with or without it.
    demo_listener: bool = False


# The demo listener's playlist size and plays: a steady listener, so their stats have something to show.
DEMO_LISTENER_HISTORY = (30, 60)


@dataclass
class DemoCatalog:
    """The generated catalog plus the latent vectors the tastes are drawn from."""

    records: list[TrackRecord]
    genre_index: np.ndarray  # primary genre per track
    audio: np.ndarray  # standardised (danceability, energy, acousticness, valence) per track


def taste_group(birth: date, today: date) -> int:
    """The age group whose taste table applies (60 covers everyone older too)."""
    return min(60, age_group(birth, today))


TASTE_GROUPS = tuple(sorted(_AGE_TILT))
BIRTH_SPREAD_DAYS = 360


def birth_date(today: date, age: int, days_earlier: int) -> date:
    """A birth date ``age`` years before the first of this month, ``days_earlier`` days earlier still."""
    return today.replace(year=today.year - age, day=1) - timedelta(days=days_earlier)


def add_demographic_tilt(genre_taste: np.ndarray, age_group: int, gender: str) -> np.ndarray:
    """Add the age group's and the gender's tilt to ``genre_taste`` (over GENRES), in place."""
    for tilt in (_AGE_TILT[age_group], _GENDER_TILT[gender]):
        for genre, weight in tilt.items():
            genre_taste[GENRES.index(genre)] += weight
    return genre_taste


def demographic_audio_taste(age_group: int) -> np.ndarray:
    """The audio taste of an age group: the young like danceable, energetic, bright, electric."""
    return np.array([0.4, 0.5, -0.4, 0.3]) * (40 - age_group) / 30


def standardise(columns: np.ndarray) -> np.ndarray:
    """Each column to mean 0 and standard deviation 1."""
    return (columns - columns.mean(0)) / columns.std(0)


def star_ratings(rng: np.random.Generator, z: np.ndarray) -> np.ndarray:
    """Ratings 0–5 from standardised appeal ``z`` (any shape), with noise."""
    return np.clip(np.rint(2.5 + 1.2 * z + rng.normal(0, 0.7, z.shape)), 0, 5).astype(int)


def generate_catalog(config: DemoConfig) -> DemoCatalog:
    """Tracks with per-genre audio features, artists rooted in a genre, some multi-genre tracks."""
    rng = np.random.default_rng(config.seed)
    artist_genre = rng.integers(0, len(GENRES), config.artists)
    artists = [
        ArtistRecord(
            spotify_id=f"demoartist{i:012d}", name=f"{NAMES[i % len(NAMES)]}{' ' + _WORDS[i % 30] if i % 3 else ''} {i}",
            genres=[GENRES[artist_genre[i]]], popularity=int(rng.integers(10, 90)),
            followers=int(rng.lognormal(9, 2)),
        )
        for i in range(config.artists)
    ]
    track_artist = rng.integers(0, config.artists, config.tracks)
    genre_index = artist_genre[track_artist]
    means = np.array([GENRE_PROFILES[g] for g in GENRES])[genre_index]
    spread = np.array([0.10, 0.10, 2.0, 0.04, 0.15, 0.08, 0.08, 0.15, 12.0])
    raw = means + rng.normal(0, 1, means.shape) * spread
    bounded = [0, 1, 3, 4, 5, 6, 7]
    raw[:, bounded] = np.clip(raw[:, bounded], 0.0, 1.0)
    raw[:, 8] = np.clip(raw[:, 8], 60, 200)
    audio = standardise(raw[:, [GENRE_PROFILE_COLUMNS.index(c) for c in AUDIO_TASTE_COLUMNS]])

    records = []
    for t in range(config.tracks):
        genres = [GENRES[genre_index[t]]]
        if rng.random() < 0.15:
            genres.append(GENRES[rng.integers(0, len(GENRES))])
        artist_list = [artists[track_artist[t]]]
        if rng.random() < 0.1:
            artist_list.append(artists[rng.integers(0, config.artists)])
        d, e, loud, sp, ac, ins, live, val, tempo = raw[t]
        words = rng.choice(_WORDS, size=int(rng.integers(1, 4)), replace=False)
        records.append(TrackRecord(
            spotify_id=f"demotrack{t:013d}",
            name=" ".join(words) + ("" if t < len(_WORDS) else f" {t}"),
            artists=artist_list,
            genres=list(dict.fromkeys(genres)),
            album=f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}",
            release_date=str(int(rng.integers(1995, 2025))),
            popularity=0,  # set from plays below
            duration_ms=int(rng.integers(120_000, 300_000)),
            explicit=bool(rng.random() < 0.08),
            audio_features={
                "danceability": float(d), "energy": float(e), "key": int(rng.integers(0, 12)),
                "loudness": float(loud), "mode": int(rng.integers(0, 2)), "speechiness": float(sp),
                "acousticness": float(ac), "instrumentalness": float(ins), "liveness": float(live),
                "valence": float(val), "tempo": float(tempo), "time_signature": int(rng.choice([3, 4, 4, 4])),
            },
        ))
    return DemoCatalog(records, genre_index, audio)


def user_appeal(
    rng: np.random.Generator, catalog: DemoCatalog, age_group: int, gender: str
) -> np.ndarray:
    """Latent appeal of every track for one user of this demographic (with a personal twist)."""
    genre_taste = add_demographic_tilt(rng.normal(0, GENRE_NOISE, len(GENRES)), age_group, gender)
    audio_taste = demographic_audio_taste(age_group) + rng.normal(0, AUDIO_NOISE, len(AUDIO_TASTE_COLUMNS))
    return GENRE_WEIGHT * genre_taste[catalog.genre_index] + AUDIO_WEIGHT * catalog.audio @ audio_taste


def _sample(rng, appeal: np.ndarray, n: int, replace: bool) -> np.ndarray:
    p = np.exp(appeal - appeal.max())
    p /= p.sum()
    return rng.choice(len(appeal), size=n, replace=replace, p=p)


def seed_demo(engine: Engine, config: DemoConfig | None = None, now: datetime | None = None) -> dict:
    """Generate and store the demo dataset; plays end at ``now`` (default: this second, so the
    current hour's chart has plays)."""
    config = config or DemoConfig()
    now = now or datetime.now(UTC).replace(microsecond=0)
    rng = np.random.default_rng(config.seed + 1)
    catalog = generate_catalog(config)

    users, appeals = [], []
    today = now.date()
    for i in range(config.users):
        age = int(rng.integers(*AGES))
        birth = birth_date(today, age, int(rng.integers(0, BIRTH_SPREAD_DAYS)))
        gender = GENDERS[rng.choice(3, p=list(GENDER_SHARES))]
        users.append({"nickname": f"listener{i:04d}", "name": f"{NAMES[i % len(NAMES)]} {i}",
                      "birth_date": birth, "gender": gender, "password_hash": UNUSABLE_PASSWORD,
                      "is_admin": False, "created_at": now - timedelta(days=30)})
        appeals.append(user_appeal(rng, catalog, taste_group(birth, today), gender))
    if config.demo_listener:
        users.append(_demo_listener_row(now))
        taste = np.random.default_rng(config.seed + 2)  # its own stream: the others stay as they are
        appeals.append(user_appeal(taste, catalog, taste_group(DEMO_LISTENER.birth_date, today), DEMO_LISTENER.gender))

    plays, ratings = [], []
    span = config.days_of_plays * 86400
    for u, appeal in enumerate(appeals):
        demo = config.demo_listener and u == config.users
        size = DEMO_LISTENER_HISTORY[0] if demo else int(rng.integers(*config.playlist_size))
        chosen = _sample(rng, appeal, size, replace=False)
        z = (appeal[chosen] - appeal.mean()) / (appeal.std() + 1e-9)
        stars = star_ratings(rng, z)
        ratings.extend((u, int(t), int(s)) for t, s in zip(chosen, stars, strict=True))
        n = DEMO_LISTENER_HISTORY[1] if demo else int(rng.integers(*config.plays_per_user))
        played = _sample(rng, appeal, n, replace=True)
        seconds = np.sort(rng.integers(0, span, n))
        plays.extend((u, int(t), int(s)) for t, s in zip(played, seconds, strict=True))

    counts = np.bincount([t for _, t, _ in plays], minlength=len(catalog.records))
    popularity = np.clip(np.rint(100 * np.log1p(counts) / np.log1p(counts.max() or 1)), 0, 100)
    for record, pop in zip(catalog.records, popularity, strict=True):
        record.popularity = int(pop)
    upsert_catalog(engine, catalog.records)
    return _store_activity(engine, catalog, users, ratings, plays, now - timedelta(seconds=span))


def _demo_listener_row(now: datetime) -> dict:
    """The demo login's listener as a generated user; its password is set by ``ensure_demo_login``."""
    return {"nickname": DEMO_LISTENER.nickname, "name": DEMO_LISTENER.name, "birth_date": DEMO_LISTENER.birth_date,
            "gender": DEMO_LISTENER.gender, "password_hash": UNUSABLE_PASSWORD, "is_admin": False,
            "created_at": now - timedelta(days=30)}


def _store_activity(engine, catalog, users, ratings, plays, start: datetime) -> dict:
    with engine.begin() as conn:
        spotify_ids = [r.spotify_id for r in catalog.records]
        track_id = dict(conn.execute(sa.select(Track.spotify_id, Track.id).where(Track.spotify_id.like("demotrack%"))).all())
        track_ids = [track_id[s] for s in spotify_ids]
        conn.execute(sa.insert(User), users)
        user_id = dict(conn.execute(sa.select(User.nickname, User.id)).all())
        user_ids = [user_id[u["nickname"]] for u in users]
        conn.execute(sa.insert(Playlist), [
            {"user_id": uid, "name": "My playlist", "is_default": True, "created_at": start}
            for uid in user_ids
        ])
        playlist_id = dict(conn.execute(sa.select(Playlist.user_id, Playlist.id).where(Playlist.is_default)).all())
        conn.execute(sa.insert(PlaylistItem), [
            {"playlist_id": playlist_id[user_ids[u]], "track_id": track_ids[t], "rating": s, "added_at": start}
            for u, t, s in ratings
        ])
        conn.execute(sa.insert(PlayEvent), [
            {"user_id": user_ids[u], "track_id": track_ids[t], "played_at": start + timedelta(seconds=s),
             "source": "track_page"}
            for u, t, s in plays
        ])
    return {"tracks": len(catalog.records), "users": len(users), "ratings": len(ratings), "plays": len(plays)}


def database_is_empty(engine: Engine) -> bool:
    """True when the catalog has no tracks yet."""
    with engine.connect() as conn:
        return conn.execute(sa.select(Track.id).limit(1)).first() is None
