"""Every collaborative built-in, with its default configuration, learns from play counts alone.

The data is written in the Last.fm HetRec layout (``user_artists.dat``: user, artist,
listening count) and read by the product's own loader: listeners in taste communities,
Zipf-like artist popularity inside each community, heavy-tailed counts and some listening
outside one's community. Popularity alone cannot tell the communities apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engines.datasets import load_dataset
from engines.evaluation import evaluate
from plugins.manager import get_plugin_manager
from plugins.offline import EngineScorer, FitCache, LearnedMixScorer, MixScorer

COLLABORATIVE = ["als", "ease", "item_knn", "ncf", "svd"]
MARGIN = 0.1  # "well above popularity": HR@10 at least this much higher


def write_lastfm_hetrec(folder, n_users=300, n_artists=400, communities=10, seed=0) -> None:
    rng = np.random.default_rng(seed)
    size = n_artists // communities
    zipf = 1.0 / np.arange(1, size + 1) ** 0.8
    rows = []
    for user in range(1, n_users + 1):
        community = user % communities
        own = community * size + rng.choice(size, size=int(rng.integers(12, 30)), replace=False, p=zipf / zipf.sum())
        stray = rng.choice(n_artists, size=int(rng.integers(1, 4)), replace=False)
        for artist in np.unique(np.r_[own, stray]):
            rows.append((user, int(artist) + 1, int(rng.lognormal(4.0, 1.5)) + 1))
    pd.DataFrame(rows, columns=["userID", "artistID", "weight"]).to_csv(
        folder / "user_artists.dat", sep="\t", index=False
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lastfm")
    write_lastfm_hetrec(folder)
    return load_dataset("lastfm-hetrec", folder)


@pytest.fixture(scope="module")
def cache():
    return FitCache(get_plugin_manager(entry_points=False), lambda name: {})


@pytest.fixture(scope="module")
def popularity_hr(dataset, cache):
    # Without demographics demographic_popular ranks by overall popularity.
    return evaluate(lambda: EngineScorer(cache, "demographic_popular"), dataset, "hr", name="popular")["hr"]


@pytest.mark.parametrize("name", COLLABORATIVE)
def test_each_collaborative_builtin_ranks_well_above_popularity_on_play_counts(name, dataset, cache, popularity_hr):
    result = evaluate(lambda: EngineScorer(cache, name), dataset, "hr", name=name)
    assert result["hr"] > popularity_hr + MARGIN, (name, result["hr"], popularity_hr)


def test_the_default_and_learned_mixes_rank_well_above_popularity(dataset, cache, popularity_hr):
    from domain.settings import Settings

    settings = Settings(_env_file=None).recommenders
    default = [(e.engine, e.weight) for e in settings.default_mix]
    mixed = evaluate(lambda: MixScorer(cache, default), dataset, "hr", name="default")
    learned = evaluate(
        lambda: LearnedMixScorer(cache, settings.learned_mix_members(), prior=settings.learned_mix_prior()),
        dataset, "hr", name="learned",
    )  # fmt: skip
    assert mixed["hr"] > popularity_hr + MARGIN
    assert learned["hr"] > popularity_hr + MARGIN
