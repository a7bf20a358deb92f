"""item_knn: the engine contract, the feedback behaviour on taste groups, and kNN specifics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from implicit.nearest_neighbours import BM25Recommender
from implicit.utils import ParameterWarning

from engines.base import TrainingData, UserContext
from engines.item_knn import ItemKNNConfig, ItemKNNEngine
from tests.engines.engine_contract import EngineContract
from tests.engines.test_artifacts import FeedbackEngineContract, group_items, taste_groups

SMALL = {"neighbours": 20}


class TestItemKNNContract(EngineContract):
    similar_items_supported = True

    def make_engine(self) -> ItemKNNEngine:
        return ItemKNNEngine(SMALL)

    def make_data(self) -> TrainingData:
        return taste_groups(n_users=15)

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=1)


class TestItemKNNFeedback(FeedbackEngineContract):
    explains = True

    def make_feedback_engine(self) -> ItemKNNEngine:
        return ItemKNNEngine(SMALL)


class TestCosineKNNFeedback(FeedbackEngineContract):
    explains = True

    def make_feedback_engine(self) -> ItemKNNEngine:
        return ItemKNNEngine(SMALL | {"similarity": "cosine"})


@pytest.fixture(scope="module")
def engine() -> ItemKNNEngine:
    return ItemKNNEngine(SMALL).fit(taste_groups())


@pytest.mark.parametrize("user_id", [1, 2, 30])
def test_scores_equal_implicits_own_recommend(engine, user_id):
    matrix = engine._feedback.matrix
    model = BM25Recommender(K=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParameterWarning)
        model.fit(matrix, show_progress=False)
    row = engine._feedback.user_row(UserContext(user_id=user_id))
    ids, scores = model.recommend(0, row, N=matrix.shape[1], filter_already_liked_items=True)
    unseen = ~np.isin(ids, row.indices)  # implicit pads with the filtered items, scored 0
    ids, scores = ids[unseen], scores[unseen]
    ours = engine.score(UserContext(user_id=user_id), engine.known_items()[ids])
    np.testing.assert_allclose(ours, scores, rtol=1e-5)


def test_neighbours_bound_the_similarity_rows(engine):
    few = ItemKNNEngine({"neighbours": 3}).fit(taste_groups())
    assert np.diff(few._similarity.indptr).max() <= 3
    assert few.similar_items(int(group_items(0)[0]), 10).item_ids.size <= 3


def test_unknown_similarity_is_refused():
    with pytest.raises(ValueError, match="similarity"):
        ItemKNNConfig(similarity="jaccard")
