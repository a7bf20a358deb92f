"""Dataset loaders: tiny files in each original format (written inline or as ``tests/fixtures``),
plus the real files when present."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engines.datasets import ML1M_AGE_GROUPS, load_dataset, shared_data_dir
from engines.feedback import interaction_confidence
from tests.support.datasets import fixture_dir, require_data


def write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_text(text, encoding=encoding)


def test_movielens_100k(tmp_path):
    write(tmp_path / "u.data", "1\t10\t4\t881250949\n2\t10\t1\t881250950\n1\t11\t5\t881250951\n")
    write(tmp_path / "u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n")
    flags = "|".join(["0"] * 19)
    items = f"10|Toy Story (1995)|01-Jan-1995||url|{flags}\n"
    items += f"11|Café (1996)|01-Jan-1996||url|0|1|{flags[4:]}\n"
    write(tmp_path / "u.item", items, "latin-1")
    data = load_dataset("movielens-100k", tmp_path).data
    assert data.ratings.to_dict("list") == {
        "user_id": [1, 2, 1], "item_id": [10, 10, 11], "rating": [4.0, 1.0, 5.0],
        "timestamp": [881250949, 881250950, 881250951],
    }  # fmt: skip
    assert data.users.to_dict("list") == {
        "user_id": [1, 2],
        "age_group": [20, 50],
        "gender": ["MALE", "FEMALE"],
    }
    assert data.items["title"].tolist() == ["Toy Story (1995)", "Café (1996)"]
    assert data.items["genres"].tolist() == [(), ("Action",)]
    assert len(data.plays) == 0


ML1M_USERS = "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117\n4::X::35::7::02460\n"


def test_movielens_1m_with_ratings(tmp_path):
    write(tmp_path / "ratings.dat", "1::1193::5::978300760\n2::661::3::978302109\n")
    write(tmp_path / "user_movie_pairs.dat", "9::9\n")  # ignored: ratings.dat wins
    write(tmp_path / "users.dat", ML1M_USERS)
    movies = "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
    movies += "661::James: Peach (1996)::Animation|Musical\n"
    write(tmp_path / "movies.dat", movies, "latin-1")
    data = load_dataset("movielens-1m", tmp_path).data
    assert data.ratings[["user_id", "item_id", "rating"]].to_numpy().tolist() == [
        [1, 1193, 5],
        [2, 661, 3],
    ]
    assert data.users["age_group"].tolist() == [10, 60, 20, 30]
    assert data.users["gender"].tolist() == ["FEMALE", "MALE", "MALE", None]
    assert data.items["title"].tolist()[1] == "James: Peach (1996)"
    assert data.items["genres"].tolist()[1] == ("Animation", "Musical")


def test_movielens_1m_pairs_become_plays(tmp_path):
    write(tmp_path / "user_movie_pairs.dat", "1::1193\n1::661\n2::661\n")
    data = load_dataset("movielens-1m", tmp_path).data
    assert len(data.ratings) == 0
    assert data.plays[["user_id", "item_id"]].to_numpy().tolist() == [[1, 1193], [1, 661], [2, 661]]
    assert sorted(data.items["item_id"]) == [661, 1193]


def test_ml1m_age_buckets_map_to_decades():
    assert ML1M_AGE_GROUPS == {1: 10, 18: 20, 25: 20, 35: 30, 45: 40, 50: 50, 56: 60}


def test_ncf_split_maps_ids_and_removes_test_pairs(tmp_path):
    # Movies in order of first appearance: 50 -> item 0, 40 -> 1, 30 -> 2, 20 -> 3, 10 -> 4.
    write(tmp_path / "user_movie_pairs.dat", "1::50\n1::40\n1::30\n2::40\n2::20\n2::10\n")
    write(tmp_path / "users.dat", ML1M_USERS)
    write(tmp_path / "ml-1m.test.rating", "0\t2\t5\t978824351\n1\t3\t3\t978300174\n")
    write(tmp_path / "ml-1m.test.negative", "(0,2)\t3\t4\n(1,3)\t0\t2\n")
    dataset = load_dataset("ncf-ml-1m", tmp_path)
    held = dataset.held_out
    assert held.user_ids.tolist() == [1, 2]
    assert held.positives.tolist() == [30, 20]
    assert held.negatives.tolist() == [[20, 10], [50, 30]]
    assert dataset.data.plays[["user_id", "item_id"]].to_numpy().tolist() == [
        [1, 50],
        [1, 40],
        [2, 40],
        [2, 10],
    ]


def test_lastfm_user_artists_keep_listening_counts_and_artist_names():
    path = fixture_dir("lastfm_hetrec")
    data = load_dataset("lastfm-hetrec", path).data
    lines = (path / "user_artists.dat").read_text().splitlines()
    assert lines[0] == "userID\tartistID\tweight"
    rows = [[int(v) for v in line.split("\t")] for line in lines[1:]]
    assert data.plays[["user_id", "item_id", "weight"]].to_numpy().tolist() == rows
    assert (data.plays["timestamp"] == 0).all() and len(data.ratings) == 0
    assert data.plays["weight"].max() > 100 * data.plays["weight"].median()  # heavy-tailed counts
    # Confidence grows with the listening count: log(1 + weight) per (user, artist).
    pairs = interaction_confidence(data)
    assert pairs["confidence"].to_numpy() == pytest.approx(np.log1p(data.plays["weight"].to_numpy()))
    # The items are the artists listened to, named from artists.dat: quotes and letters kept.
    names = data.items.set_index("item_id")["name"]
    assert data.items["item_id"].tolist() == sorted({row[1] for row in rows})
    assert names[25] == '"Weird Al" Yankovic' and names[17] == "Sigur Rós" and names[207] == "múm"
    assert pd.isna(names[165])  # listened to, but missing from artists.dat
    assert 56 not in names.index  # in artists.dat (Muse), but nobody listened


def test_lastfm_without_artists_file(tmp_path):
    shutil.copy(fixture_dir("lastfm_hetrec") / "user_artists.dat", tmp_path)
    data = load_dataset("lastfm-hetrec", tmp_path).data
    assert list(data.items.columns) == ["item_id"] and data.plays["weight"].sum() > 0


def test_spotify_csv_merges_genres_and_drops_incomplete_rows():
    path = fixture_dir("spotify_tracks")
    items = load_dataset("spotify-csv", path).data.items
    # 12 rows: one track listed twice (acoustic and folk), one without name or artist, one
    # without key and tempo.
    assert len(items) == 9 and items["item_id"].tolist() == list(range(9))
    assert "1aXzR0kLm4Pq8Wc2Vn6Bt9" not in set(items["spotify_id"])
    assert "5Tb3nQ6wEr8yUi0Op2As4d" not in set(items["spotify_id"])
    track = items.set_index("spotify_id").loc["0Zc6hPq2Lw9aRt4sYk1Vbn"]
    assert track["genre"] == "acoustic" and track["genres"] == ("acoustic", "folk")
    assert track["album"] == "Songs for Rain, Vol. 2" and track["artists"] == "Oskar Vale;Juno Marsh"
    assert items["name"].tolist()[2] == 'Paper Boats - "Live"'
    assert items["genres"].tolist()[-1] == ("folk",) and items["genres"].tolist()[4] == ("k-pop",)
    assert items["instrumentalness"][0] == 1.01e-06 and items["popularity"].tolist()[:2] == [68, 54]
    assert items[["key", "mode", "time_signature"]].dtypes.tolist() == [np.dtype("int64")] * 3


def test_unknown_kind_and_missing_path(tmp_path):
    with pytest.raises(ValueError, match="movielens-100k"):
        load_dataset("netflix", tmp_path)
    with pytest.raises(FileNotFoundError):
        load_dataset("movielens-100k", tmp_path / "nowhere")


def test_shared_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HZ45_DATA_DIR", str(tmp_path))
    assert shared_data_dir() == tmp_path
    monkeypatch.delenv("HZ45_DATA_DIR")
    assert shared_data_dir().parts[-2:] == ("shared", "data")


# -- the real files (skipped where ../shared/data is absent) -------------------------------


def test_real_ncf_ml_1m_split():
    path = require_data("ml-1m/ml-1m.test.negative").parent
    dataset = load_dataset("ncf-ml-1m", path)
    plays, held = dataset.data.plays, dataset.held_out
    assert len(plays) == 994_169  # the NCF paper's training count
    assert held.negatives.shape == (6040, 99) and len(np.unique(held.user_ids)) == 6040
    test_pairs = pd.MultiIndex.from_arrays([held.user_ids, held.positives])
    assert (
        not pd.MultiIndex.from_arrays([plays["user_id"], plays["item_id"]]).isin(test_pairs).any()
    )
    assert np.isin(held.positives, dataset.data.items["item_id"]).all()
    assert len(dataset.data.users) == 6040


def test_real_movielens_100k():
    dataset = load_dataset("movielens-100k", require_data("ml-100k/u.data").parent)
    assert len(dataset.data.ratings) == 100_000 and len(dataset.data.users) == 943
    assert set(dataset.data.ratings["rating"]) == {1.0, 2.0, 3.0, 4.0, 5.0}


def test_spotify_fixture_has_the_real_header():
    real = require_data("spotify_tracks/dataset.csv")
    with real.open(encoding="utf-8") as file:
        header = file.readline()
    assert (fixture_dir("spotify_tracks") / "dataset.csv").read_text().splitlines()[0] == header.rstrip("\n")
