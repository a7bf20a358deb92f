"""Offline evaluation through the hooks: any plugin is trained, scored, mixed and blended."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engines.base import TrainingData, UserContext
from engines.datasets import LoadedDataset
from engines.evaluation import evaluate
from plugins.manager import get_plugin_manager
from plugins.offline import EngineScorer, FitCache, LearnedMixScorer, MixScorer
from tests.support.plugins import install_plugin


def taste_groups(n_users=120, n_items=60, seed=0) -> TrainingData:
    """Users in three taste groups, each playing mostly its own third of the catalog."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        group = user % 3
        own = np.arange(group * 20, group * 20 + 20)
        for item in rng.choice(own, 12, replace=False):
            rows += [(user, int(item), int(rng.integers(1, 10**6)))] * int(rng.integers(1, 4))
        rows.append((user, int(rng.integers(0, n_items)), 5))
    plays = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    users = pd.DataFrame({"user_id": range(n_users), "age_group": 20, "gender": "FEMALE"})
    return TrainingData(plays=plays, users=users, items=pd.DataFrame({"item_id": range(n_items)}))


@pytest.fixture
def manager(tmp_path, monkeypatch):
    install_plugin(tmp_path, "hz45_random_offline", "random")
    monkeypatch.syspath_prepend(str(tmp_path))
    return get_plugin_manager()


def test_a_third_party_plugin_is_trained_and_evaluated_offline_by_its_hooks(manager):
    cache = FitCache(manager, lambda name: {})
    dataset = LoadedDataset("groups", taste_groups())
    result = evaluate(lambda: EngineScorer(cache, "random"), dataset, "hr", k=5, n_negatives=30, name="random")
    assert 0.0 <= result["hr"] <= 0.5  # random: about 10 of 100 candidates
    knn = evaluate(lambda: EngineScorer(cache, "item_knn"), dataset, "hr", k=5, n_negatives=30, name="item_knn")
    assert knn["hr"] > result["hr"] + 0.3


def test_members_are_trained_once_per_training_set(manager):
    calls = []
    cache = FitCache(manager, lambda name: {})
    original = cache.manager.hook.hz45_train
    cache.manager.hook.hz45_train = lambda **kwargs: calls.append(kwargs["name"]) or original(**kwargs)
    data = taste_groups()
    MixScorer(cache, [("random", 1.0), ("item_knn", 1.0)]).fit(data)
    MixScorer(cache, [("item_knn", 2.0)]).fit(data)
    assert calls.count("item_knn") == 1


def test_a_mix_with_a_plugin_uses_the_serving_fusion_and_skips_untrainable_members(manager):
    cache = FitCache(manager, lambda name: {})
    data = taste_groups()
    mix = MixScorer(cache, [("item_knn", 1.0), ("random", 0.1), ("content_gmm", 1.0)]).fit(data)
    assert set(mix.members) == {"item_knn", "random"}  # no audio features: content is left out
    context = UserContext(user_id=0)
    items = np.arange(60)
    scores = mix.score(context, items)
    own = scores[:20][~np.isnan(scores[:20])]
    assert own.mean() > np.nanmean(scores[20:])


def test_the_seed_of_a_run_reaches_engines_that_take_one(manager):
    seen = []
    cache = FitCache(manager, lambda name: {})
    original = cache.manager.hook.hz45_train

    def spy(**kwargs):
        seen.append((kwargs["name"], kwargs["params"].get("seed")))
        return original(**kwargs)

    cache.manager.hook.hz45_train = spy
    cache.seed = 3
    EngineScorer(cache, "item_knn").fit(taste_groups())
    EngineScorer(cache, "random").fit(taste_groups())
    assert seen == [("item_knn", 3), ("random", None)]


def test_the_learned_mix_weights_the_informative_engine_over_noise(manager):
    cache = FitCache(manager, lambda name: {})
    dataset = LoadedDataset("groups", taste_groups(n_users=240))
    learned = LearnedMixScorer(cache, ["item_knn", "random"])
    result = evaluate(lambda: learned, dataset, "hr", k=5, n_negatives=30, name="learned")
    weights = learned.blend.metrics
    # The search stops once the held-out items all rank in the top 10; noise keeps a small weight.
    assert weights["weight_item_knn"] > 3 * abs(weights["weight_random"])
    random = evaluate(lambda: EngineScorer(cache, "random"), dataset, "hr", k=5, n_negatives=30, name="random")
    assert result["hr"] > random["hr"] + 0.3
