"""Loaders for the external datasets ``hz45 evaluate`` accepts (SPEC §8).

Each loader takes the folder holding the dataset's files under their original names and
returns a :class:`LoadedDataset`: a :class:`~engines.base.TrainingData` plus, for datasets
that ship a fixed test split (``ncf-ml-1m``), the held-out positives and their negatives.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engines.base import TrainingData

# MovieLens 1M stores age buckets; each becomes the decade of the bucket's midpoint
# (18-24 -> 21 -> 20s, 25-34 -> 29.5 -> 20s, ..., 56+ taken as 56-64 -> 60s).
ML1M_AGE_GROUPS = {1: 10, 18: 20, 25: 20, 35: 30, 45: 40, 50: 50, 56: 60}
GENDERS = {"M": "MALE", "F": "FEMALE"}
AUDIO_FEATURES = (
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo", "time_signature",
)  # fmt: skip
INTEGER_FEATURES = ("key", "mode", "time_signature")


@dataclass
class HeldOut:
    """A fixed leave-one-out test: per user one positive item and its sampled negatives."""

    user_ids: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray  # shape (n_users, n_negatives)


@dataclass
class LoadedDataset:
    """A dataset ready for training/evaluation; ``held_out`` only where the split is fixed."""

    kind: str
    data: TrainingData
    held_out: HeldOut | None = None


def shared_data_dir() -> Path:
    """The shared real datasets: ``$HZ45_DATA_DIR``, else ``../shared/data`` from the repo."""
    env = os.environ.get("HZ45_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _read_sep(path: Path, sep: str, names: list[str], **kwargs) -> pd.DataFrame:
    """Read a ``::``-separated MovieLens file with the fast C parser.

    Splitting ``a::b`` on ``:`` leaves empty fields between the values; keep every other one.
    """
    if sep == "::":
        columns = list(range(0, 2 * len(names), 2))
        return pd.read_csv(
            path, sep=":", header=None, usecols=columns, names=None, **kwargs
        ).set_axis(names, axis=1)
    return pd.read_csv(path, sep=sep, header=None, names=names, **kwargs)


def _users(ids: pd.Series, ages: pd.Series, genders: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ids.astype("int64").to_numpy(),
            "age_group": ages.to_numpy(),
            "gender": pd.Series([GENDERS.get(g) for g in genders], dtype=object),
        }
    )


def _plays(user_ids: np.ndarray, item_ids: np.ndarray) -> pd.DataFrame:
    """Implicit pairs without time (timestamp 0)."""
    return pd.DataFrame(
        {"user_id": user_ids.astype("int64"), "item_id": item_ids.astype("int64"), "timestamp": 0}
    )


def load_movielens_100k(path: str | Path) -> LoadedDataset:
    """MovieLens 100K: ``u.data`` ratings, ``u.user`` demographics, ``u.item`` titles/genres."""
    path = Path(path)
    ratings = _read_sep(path / "u.data", "\t", ["user_id", "item_id", "rating", "timestamp"])
    ratings["rating"] = ratings["rating"].astype("float64")
    data = TrainingData(ratings=ratings)
    if (path / "u.user").exists():
        raw = _read_sep(path / "u.user", "|", ["user_id", "age", "gender", "occupation", "zip"])
        data.users = _users(raw["user_id"], raw["age"] // 10 * 10, raw["gender"])
    if (path / "u.item").exists():
        genre_names = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
                       "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical",
                       "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"]  # fmt: skip
        names = ["item_id", "title", "release", "video", "url", *genre_names]
        raw = pd.read_csv(path / "u.item", sep="|", header=None, names=names, encoding="latin-1")
        flags = raw[genre_names].to_numpy(dtype=bool)
        genres = [tuple(np.asarray(genre_names, dtype=object)[row]) for row in flags]
        data.items = pd.DataFrame(
            {"item_id": raw["item_id"], "title": raw["title"], "genres": genres}
        )
    else:
        data.items = pd.DataFrame({"item_id": np.unique(ratings["item_id"])})
    return LoadedDataset("movielens-100k", data)


def _ml1m_pairs(path: Path) -> tuple[pd.DataFrame | None, np.ndarray, np.ndarray]:
    """``(ratings or None, user ids, movie ids)`` from ``ratings.dat`` or the pairs file."""
    if (path / "ratings.dat").exists():
        ratings = _read_sep(
            path / "ratings.dat", "::", ["user_id", "item_id", "rating", "timestamp"]
        )
        ratings["rating"] = ratings["rating"].astype("float64")
        return ratings, ratings["user_id"].to_numpy(), ratings["item_id"].to_numpy()
    pairs = _read_sep(path / "user_movie_pairs.dat", "::", ["user_id", "item_id"], dtype="int64")
    return None, pairs["user_id"].to_numpy(), pairs["item_id"].to_numpy()


def _ml1m_side(path: Path, data: TrainingData, item_ids: np.ndarray) -> None:
    if (path / "users.dat").exists():
        raw = _read_sep(
            path / "users.dat", "::", ["user_id", "gender", "age", "occupation", "zip"], dtype=str
        )
        ages = raw["age"].astype(int).map(ML1M_AGE_GROUPS)
        data.users = _users(raw["user_id"], ages, raw["gender"])
    if (path / "movies.dat").exists():
        raw = pd.read_csv(path / "movies.dat", sep="::", engine="python", header=None,
                          names=["item_id", "title", "genres"], encoding="latin-1")  # fmt: skip
        raw["genres"] = [tuple(g.split("|")) for g in raw["genres"]]
        data.items = raw
    else:
        data.items = pd.DataFrame({"item_id": np.unique(item_ids)})


def load_movielens_1m(path: str | Path) -> LoadedDataset:
    """MovieLens 1M: ``ratings.dat`` if present, else ``user_movie_pairs.dat`` as implicit plays."""
    path = Path(path)
    ratings, users, items = _ml1m_pairs(path)
    data = (
        TrainingData(ratings=ratings)
        if ratings is not None
        else TrainingData(plays=_plays(users, items))
    )
    _ml1m_side(path, data, items)
    return LoadedDataset("movielens-1m", data)


def load_ncf_ml_1m(path: str | Path) -> LoadedDataset:
    """The NCF paper's ML-1M leave-one-out split, in MovieLens ids.

    Training is every pair minus the test pairs (994,169 on the full data); NCF user =
    ``UserID - 1`` and NCF item = order of the movie's first appearance in the pairs file.
    """
    path = Path(path)
    _, users, items = _ml1m_pairs(path)
    movie_of_item = pd.unique(items)
    test = _read_sep(path / "ml-1m.test.rating", "\t", ["user", "item", "rating", "timestamp"])
    negatives = pd.read_csv(path / "ml-1m.test.negative", sep="\t", header=None).iloc[:, 1:]
    held_out = HeldOut(
        user_ids=test["user"].to_numpy(dtype=np.int64) + 1,
        positives=movie_of_item[test["item"].to_numpy()].astype(np.int64),
        negatives=movie_of_item[negatives.to_numpy(dtype=np.int64)].astype(np.int64),
    )
    test_keys = pd.MultiIndex.from_arrays([held_out.user_ids, held_out.positives])
    keep = ~pd.MultiIndex.from_arrays([users, items]).isin(test_keys)
    data = TrainingData(plays=_plays(users[keep], items[keep]))
    _ml1m_side(path, data, items)
    return LoadedDataset("ncf-ml-1m", data, held_out)


def load_lastfm_hetrec(path: str | Path) -> LoadedDataset:
    """Last.fm HetRec 2011: ``user_artists.dat`` gives a play row per (user, artist) whose
    ``weight`` is the listening count (so feedback confidence grows with it); the items are the
    artists listened to, with their ``name`` from ``artists.dat`` when present (missing where
    that file lacks the artist)."""
    path = Path(path)
    raw = pd.read_csv(
        path / "user_artists.dat", sep="\t", header=0, names=["user_id", "item_id", "weight"]
    )
    plays = _plays(raw["user_id"].to_numpy(), raw["item_id"].to_numpy())
    plays["weight"] = raw["weight"].to_numpy(dtype=np.int64)
    items = pd.DataFrame({"item_id": np.unique(plays["item_id"])})
    if (path / "artists.dat").exists():
        # Names hold quotes and the odd stray byte: read them literally, never as CSV quoting.
        artists = pd.read_csv(
            path / "artists.dat", sep="\t", header=0, usecols=[0, 1], names=["item_id", "name"],
            dtype={"item_id": np.int64, "name": str}, quoting=csv.QUOTE_NONE,
            keep_default_na=False, encoding="utf-8", encoding_errors="replace",
        )  # fmt: skip
        names = artists.drop_duplicates("item_id").set_index("item_id")["name"]
        items["name"] = names.reindex(items["item_id"]).to_numpy()
    return LoadedDataset("lastfm-hetrec", TrainingData(plays=plays, items=items))


def load_spotify_csv(path: str | Path) -> LoadedDataset:
    """The public Spotify tracks CSV as items (one row per track, every genre it is listed under).

    Item ids are 0..n-1 in order of first appearance; ``spotify_id`` keeps the track id.
    """
    path = Path(path)
    csv_path = path / "dataset.csv" if path.is_dir() else path
    raw = pd.read_csv(csv_path, index_col=0)
    raw = raw.dropna(subset=["track_id", "track_name", "artists", *AUDIO_FEATURES])
    # Integer features read as floats when a dropped row lacked them; the kept ones are whole.
    raw = raw.astype(dict.fromkeys(INTEGER_FEATURES, np.int64))
    genres = raw.groupby("track_id", sort=False)["track_genre"].agg(tuple)
    tracks = raw.drop_duplicates("track_id").set_index("track_id")
    items = pd.DataFrame(
        {
            "item_id": np.arange(len(tracks), dtype=np.int64),
            "spotify_id": tracks.index.to_numpy(),
            "name": tracks["track_name"].to_numpy(),
            "artists": tracks["artists"].to_numpy(),
            "album": tracks["album_name"].to_numpy(),
            "popularity": tracks["popularity"].to_numpy(),
            **{name: tracks[name].to_numpy() for name in AUDIO_FEATURES},
            "genre": tracks["track_genre"].to_numpy(),
            "genres": genres.loc[tracks.index].to_numpy(),
        }
    )
    return LoadedDataset("spotify-csv", TrainingData(items=items))


LOADERS: dict[str, Callable[[str | Path], LoadedDataset]] = {
    "movielens-100k": load_movielens_100k,
    "movielens-1m": load_movielens_1m,
    "ncf-ml-1m": load_ncf_ml_1m,
    "lastfm-hetrec": load_lastfm_hetrec,
    "spotify-csv": load_spotify_csv,
}


def load_dataset(kind: str, path: str | Path) -> LoadedDataset:
    """Load dataset ``kind`` (a key of :data:`LOADERS`) from the folder ``path``."""
    try:
        loader = LOADERS[kind]
    except KeyError:
        raise ValueError(
            f"unknown dataset kind {kind!r}; expected one of {sorted(LOADERS)}"
        ) from None
    if not Path(path).exists():
        raise FileNotFoundError(f"{kind}: no such path {path}")
    return loader(path)
