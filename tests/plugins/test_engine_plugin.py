"""The built-in adapter answers for its own engine only, for every hook."""

import numpy as np
import pandas as pd

from engines.base import TrainingData, UserContext
from plugins.manager import get_plugin_manager


def data() -> TrainingData:
    plays = pd.DataFrame({"user_id": [1, 1, 2, 2, 2, 3], "item_id": [10, 11, 10, 12, 12, 12],
                          "timestamp": [100, 200, 300, 400, 500, 600]})
    users = pd.DataFrame({"user_id": [1, 2, 3], "age_group": [20, 20, 30], "gender": ["FEMALE", "FEMALE", "MALE"]})
    items = pd.DataFrame({"item_id": [10, 11, 12, 13], "popularity": [5, 4, 3, 2]})
    return TrainingData(plays=plays, users=users, items=items)


def test_builtin_hooks_round_trip_demographic_popular():
    manager = get_plugin_manager(entry_points=False)
    model = manager.hook.hz45_train(name="demographic_popular", data=data(), params={"min_group_plays": 1})
    assert manager.hook.hz45_model_metrics(name="demographic_popular", model=model) is not None
    blob = manager.hook.hz45_save_model(name="demographic_popular", model=model)
    loaded = manager.hook.hz45_load_model(name="demographic_popular", blob=blob)
    context = UserContext(user_id=9, age_group=20, gender="FEMALE")
    scored = manager.hook.hz45_recommend(name="demographic_popular", model=loaded, context=context, k=2,
                                         exclude=np.array([], dtype=np.int64))
    assert scored.item_ids[0] == 12 and "women in their 20s" in scored.reason
    assert manager.hook.hz45_similar_items(name="demographic_popular", model=loaded, item_id=10, k=3) is not None
    assert manager.hook.hz45_train(name="no_such_engine", data=data(), params={}) is None


def test_score_hook_matches_the_engine_and_annotations_come_from_the_engine():
    manager = get_plugin_manager(entry_points=False)
    model = manager.hook.hz45_train(name="demographic_popular", data=data(), params={"min_group_plays": 1})
    context = UserContext(user_id=9, age_group=20, gender="FEMALE")
    items = np.array([10, 12, 999], dtype=np.int64)
    scores = manager.hook.hz45_score(name="demographic_popular", model=model, context=context, item_ids=items)
    assert np.allclose(scores, model.score(context, items), equal_nan=True)
    assert scores[1] > scores[0]
    assert manager.hook.hz45_score(name="no_such_engine", model=model, context=context, item_ids=items) is None
    assert manager.hook.hz45_item_annotations(name="demographic_popular", model=model) is None


def test_roles_and_reasons_are_described_by_the_plugins():
    from plugins.manager import describe

    info = describe(get_plugin_manager(entry_points=False))
    assert info["demographic_popular"]["fallback"] == 0
    assert info["content_gmm"]["similar"] == 0
    assert info["ncf"]["reason"] and info["svd"]["reason"]


def test_tune_hook_answers_for_engines_whose_plugin_tunes():
    manager = get_plugin_manager(entry_points=False)
    ratings = pd.DataFrame({"user_id": np.repeat(np.arange(20), 6), "item_id": np.tile(np.arange(6), 20),
                            "rating": np.tile([5.0, 4.0, 1.0, 2.0, 5.0, 3.0], 20), "timestamp": 0})
    grid = {"n_epochs": [1, 20], "lr_all": [0.01]}
    best = manager.hook.hz45_tune(name="svd", data=TrainingData(ratings=ratings), grid=grid, params={}, folds=2)
    assert best["params"] == {"n_epochs": 20, "lr_all": 0.01} and best["rmse"] > 0
    assert manager.hook.hz45_tune(name="als", data=TrainingData(ratings=ratings), grid=grid, params={}, folds=2) is None
    from plugins.manager import describe

    info = describe(manager)
    assert info["svd"]["tunable"] and not info["als"]["tunable"]
