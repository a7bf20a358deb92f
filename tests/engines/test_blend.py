"""The learned blend: held-out slice, pairwise-fitted weights, contributions, data-only artifact."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from engines.base import TrainingData
from engines.blend import LearnedBlend, holdout_slice


def synthetic_lists(blend, n=400, seed=0):
    rng = np.random.default_rng(seed)
    lists = []
    for _ in range(n):
        items = rng.choice(200, 50, replace=False)
        good, noise = rng.normal(size=50), rng.normal(size=50)
        good[0] += 2.5  # the held-out item is first; the fit must not rely on its position
        lists.append((blend.features({"good": good, "noise": noise}, items), np.r_[1.0, np.zeros(49)]))
    return lists


def test_weights_follow_the_informative_engine_and_contributions_add_up():
    blend = LearnedBlend(["good", "noise"], np.arange(200), np.ones(200))
    blend.fit(synthetic_lists(blend))
    w = blend.metrics
    assert w["weight_good"] > 0.5 and abs(w["weight_noise"]) < 0.2 * w["weight_good"]
    assert w["blend_val_hr"] > 0.8
    items = np.array([3, 1, 2])
    scores = {"good": np.array([1.0, 0.0, np.nan]), "noise": np.array([0.0, 1.0, 2.0])}
    total = blend.score(scores, items)
    parts = blend.contributions(scores, items)
    assert total == pytest.approx(sum(parts.values()))
    assert total[0] > total[1]


def test_an_item_no_engine_scored_gets_nan():
    blend = LearnedBlend(["good"], np.arange(200), np.ones(200))
    blend.fit([(f[:, [0, 2]], y) for f, y in synthetic_lists(LearnedBlend(["good", "noise"], np.arange(200), np.ones(200)))])
    assert np.isnan(blend.score({"good": np.array([np.nan, 1.0, 2.0])}, np.array([1, 2, 3]))).tolist() == [True, False, False]
    assert np.isnan(blend.score({}, np.array([1, 2]))).all()


def test_artifact_round_trips_and_refuses_anything_else(tmp_path):
    blend = LearnedBlend(["good", "noise"], np.arange(200), np.arange(200.0))
    blend.fit(synthetic_lists(blend))
    loaded = LearnedBlend.loads(blend.dumps())
    scores = {"good": np.array([1.0, 0.5, 0.0]), "noise": np.array([0.0, 1.0, 0.5])}
    assert loaded.score(scores, np.array([5, 6, 7])) == pytest.approx(blend.score(scores, np.array([5, 6, 7])))
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for blob in (pickle.dumps(Payload()), b'{"kind": "other", "format": 1}', b"\x00\x01"):
        with pytest.raises(TypeError):
            LearnedBlend.loads(blob)
    assert not marker.exists()


def test_holdout_slice_holds_out_each_sampled_users_latest_item():
    plays = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 2, 2, 3, 3], "item_id": [10, 11, 12, 10, 13, 14, 15, 10, 11],
                          "timestamp": [1, 2, 3, 1, 2, 3, 9, 1, 2]})
    held = holdout_slice(TrainingData(plays=plays, items=pd.DataFrame({"item_id": range(10, 16)})), n_users=10)
    assert held.user_ids.tolist() == [1, 2]  # user 3 has only two interactions
    assert held.positives.tolist() == [12, 15]
    remaining = set(zip(held.train.plays["user_id"], held.train.plays["item_id"], strict=True))
    assert (1, 12) not in remaining and (2, 15) not in remaining and (3, 11) in remaining
    assert set(held.seen[2]) == {10, 13, 14, 15}


def test_the_search_leaves_a_bad_prior_and_never_ends_below_the_prior_on_held_out_lists():
    blend = LearnedBlend(["good", "noise"], np.arange(200), np.ones(200))
    lists = synthetic_lists(blend, n=500, seed=3)
    blend.fit(lists, prior={"good": 0.0, "noise": 1.0})
    w = blend.metrics
    assert w["weight_good"] > 3 * abs(w["weight_noise"])
    assert w["blend_kept_prior"] == 0.0 and w["blend_val_hr"] > w["prior_val_hr"] + 0.3
    good = LearnedBlend(["good", "noise"], np.arange(200), np.ones(200)).fit(lists, prior={"good": 1.0, "noise": 0.0})
    m = good.metrics
    assert m["blend_val_hr"] + m["blend_val_ndcg"] >= m["prior_val_hr"] + m["prior_val_ndcg"]
    assert abs(m["weight_noise"]) < 0.2 * m["weight_good"]
