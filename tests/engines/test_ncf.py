"""NCF engine: learns block structure, is deterministic, quiet, and loads from bytes alone."""

from __future__ import annotations

import logging
import pickle
import re

import numpy as np
import pandas as pd
import pytest
import torch

from engines.base import TrainingData, UserContext
from engines.datasets import LoadedDataset
from engines.evaluation import evaluate
from engines.ncf import NCFConfig, NCFEngine
from engines.ncf.data import NCFDataModule, index_data, sample_negatives
from engines.ncf.module import NeuMF, fuse
from tests.engines.engine_contract import EngineContract

FAST = {
    "epochs": 3,
    "pretrain_epochs": 0,
    "lr_decay": 1.0,
    "patience": 3,
    "batch_size": 128,
    "lr": 0.01,
    "gmf_dim": 8,
    "mlp_dim": 8,
    "layers": (16, 8),
    "val_users": 20,
}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from threads, and on a busy machine threads wait for each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def block_interactions(
    n_users: int = 48, n_items: int = 160, groups: int = 8, per_user: int = 8, seed: int = 0
) -> TrainingData:
    """Each user plays items of its own group only (item % groups == user % groups)."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        own = np.arange(user % groups, n_items, groups)
        for t, item in enumerate(rng.choice(own, size=per_user, replace=False)):
            rows.append((user + 1, item + 1, t))
    plays = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    users = pd.DataFrame(
        {
            "user_id": np.arange(1, n_users + 1),
            "age_group": 10 * (1 + np.arange(n_users) % 5),
            "gender": np.where(np.arange(n_users) % 2, "MALE", "FEMALE"),
        }
    )
    items = pd.DataFrame({"item_id": np.arange(1, n_items + 1)})
    return TrainingData(plays=plays, users=users, items=items)


def block_ratings(
    n_users: int = 40, n_items: int = 30, groups: int = 3, seed: int = 0
) -> TrainingData:
    """Ratings of 5 inside the user's group and 1 outside; about half the pairs observed."""
    rng = np.random.default_rng(seed)
    users, items = (
        a.ravel() for a in np.meshgrid(np.arange(n_users), np.arange(n_items), indexing="ij")
    )
    keep = rng.random(len(users)) < 0.5
    ratings = pd.DataFrame(
        {
            "user_id": users[keep],
            "item_id": items[keep],
            "rating": np.where((users % groups == items % groups)[keep], 5.0, 1.0),
            "timestamp": 0,
        }
    )
    return TrainingData(ratings=ratings)


class TestNCFContract(EngineContract):
    def make_engine(self) -> NCFEngine:
        return NCFEngine(FAST | {"epochs": 2})

    def make_data(self) -> TrainingData:
        return block_interactions(n_users=16, n_items=40, per_user=5)

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=1)


@pytest.fixture(scope="module")
def implicit_data() -> TrainingData:
    return block_interactions()


@pytest.fixture(scope="module")
def engine(implicit_data) -> NCFEngine:
    return NCFEngine(FAST).fit(implicit_data)


def test_implicit_model_beats_random_on_block_structure(implicit_data):
    config = FAST | {"epochs": 8, "batch_size": 64}
    result = evaluate(lambda: NCFEngine(config), LoadedDataset("blocks", implicit_data), "hr", k=10)
    assert result["hr"] > 0.5 and result["ndcg"] > 0.25  # random ranking: HR@10 = 0.1


def test_same_seed_same_model_other_seed_other_model(implicit_data, engine):
    context, items = UserContext(user_id=3), engine.known_items()
    again = NCFEngine(FAST).fit(implicit_data)
    np.testing.assert_array_equal(again.score(context, items), engine.score(context, items))
    other = NCFEngine(FAST | {"seed": 1}).fit(implicit_data)
    assert not np.array_equal(other.score(context, items), engine.score(context, items))


def test_rating_objective_learns_the_ratings():
    data = block_ratings()
    config = FAST | {
        "objective": "rating",
        "batch_size": 32,
        "lr": 0.03,
        "epochs": 20,
        "patience": 20,
    }
    result = evaluate(lambda: NCFEngine(config), LoadedDataset("blocks", data), "rmse", folds=2)
    spread = data.ratings["rating"].std(ddof=0)  # the RMSE of always predicting the mean
    assert result["rmse"] < 0.7 * spread and result["mae"] < result["rmse"]
    scores = NCFEngine(config).fit(data).score(UserContext(user_id=0), np.arange(30))
    assert scores.min() >= 0 and scores.max() <= 5
    assert scores[::3].mean() > scores[1::3].mean() + 1  # user 0 likes items 0, 3, 6, ...


def test_unknown_users_and_items_get_nan(engine):
    scores = engine.score(UserContext(user_id=1), np.array([1, 99_999]))
    assert np.isfinite(scores[0]) and np.isnan(scores[1])
    assert np.isnan(engine.score(UserContext(user_id=99_999), np.array([1, 2]))).all()
    assert len(engine.candidates(UserContext(user_id=None))) == 0


def test_candidates_leave_out_what_the_user_played(engine, implicit_data):
    played = implicit_data.plays.loc[implicit_data.plays["user_id"] == 5, "item_id"]
    candidates = engine.candidates(UserContext(user_id=5))
    assert not np.isin(played, candidates).any()
    assert len(candidates) == 160 - len(played)


def test_candidates_are_the_best_unseen_items_by_the_gmf_tower(engine, implicit_data):
    narrow = NCFEngine.loads(engine.dumps())
    narrow.config.retrieval_candidates = 40
    context = UserContext(user_id=5)
    candidates = narrow.candidates(context)
    played = implicit_data.plays.loc[implicit_data.plays["user_id"] == 5, "item_id"]
    assert len(candidates) == 40 and not np.isin(played, candidates).any()
    module, unseen = narrow.module, engine.candidates(context)
    columns = torch.from_numpy(narrow._items.get_indexer(unseen))
    user = torch.tensor(narrow._user_index(context))
    with torch.no_grad():  # the GMF tower's part of the output layer, computed by the network's pieces
        gmf = module.user_gmf(user) * module.item_gmf(columns)
        part = (gmf @ module.output.weight[0, : module.user_gmf.embedding_dim]).numpy()
    np.testing.assert_array_equal(np.sort(candidates), np.sort(unseen[np.argsort(-part)[:40]]))


def test_a_shortlist_by_the_gmf_tower_ranks_as_well_as_every_item(implicit_data):
    config = FAST | {"epochs": 8, "batch_size": 64}
    dataset = LoadedDataset("blocks", implicit_data)
    every = evaluate(lambda: NCFEngine(config | {"retrieval_candidates": 0}), dataset, "hr", k=10)
    shortlist = evaluate(lambda: NCFEngine(config | {"retrieval_candidates": 30}), dataset, "hr", k=10)
    assert shortlist["hr"] > 0.5 and shortlist["hr"] >= every["hr"] - 0.05, (shortlist, every)


def test_early_stopping_keeps_metrics_of_the_best_epoch(implicit_data):
    engine = NCFEngine(FAST | {"epochs": 30, "patience": 1, "lr": 0.05}).fit(implicit_data)
    metrics = engine.metrics
    assert {"val_hr", "val_ndcg", "best_epoch", "epochs"} <= set(metrics)
    assert metrics["best_epoch"] <= metrics["epochs"] < 30


def test_fused_model_starts_as_the_average_of_its_towers(implicit_data):
    indexed = index_data(implicit_data, "implicit")
    config = NCFConfig.from_dict(FAST)
    gmf, mlp = (NeuMF(48, 160, indexed.n_age_groups, config, tower) for tower in ("gmf", "mlp"))
    for tower in (gmf, mlp):
        tower.set_demographics(indexed.user_age, indexed.user_gender)
    users, items = torch.arange(48), torch.arange(48) * 3
    expected = 0.5 * gmf(users, items) + 0.5 * mlp(users, items)
    torch.testing.assert_close(fuse(gmf, mlp)(users, items), expected)


def test_pretraining_trains_both_towers_then_fine_tunes(implicit_data):
    config = FAST | {"pretrain_epochs": 8, "epochs": 1, "batch_size": 64, "patience": 8}
    holder = []
    result = evaluate(
        lambda: holder.append(NCFEngine(config)) or holder[-1],
        LoadedDataset("blocks", implicit_data),
        "hr",
    )
    metrics = holder[-1].metrics
    assert metrics["gmf_epochs"] == metrics["mlp_epochs"] == 8 and metrics["epochs"] == 1
    assert result["hr"] > 0.25  # random ranking: 0.1


def test_artifact_is_self_contained_bytes(engine):
    blob = engine.dumps()
    assert isinstance(blob, bytes)
    loaded = NCFEngine.loads(blob)
    context, items = UserContext(user_id=7), engine.known_items()
    np.testing.assert_array_equal(loaded.score(context, items), engine.score(context, items))
    np.testing.assert_array_equal(loaded.candidates(context), engine.candidates(context))
    via_pickle = pickle.loads(pickle.dumps(engine))
    np.testing.assert_array_equal(via_pickle.score(context, items), engine.score(context, items))
    with pytest.raises(TypeError):
        NCFEngine.loads(b"garbage")


def test_training_is_quiet_and_leaves_no_files(implicit_data, tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    NCFEngine(FAST | {"epochs": 1}).fit(implicit_data)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert list(tmp_path.iterdir()) == []


def test_demographics_are_indexed_per_user(implicit_data):
    indexed = index_data(implicit_data, "implicit")
    assert indexed.n_age_groups == 6  # 10..50 plus "unknown"
    assert indexed.user_age[:5].tolist() == [1, 2, 3, 4, 5]
    assert indexed.user_gender[:2].tolist() == [1, 2]  # FEMALE, MALE
    bare = index_data(TrainingData(plays=implicit_data.plays), "implicit")
    assert bare.user_age.max() == 0 and bare.user_gender.max() == 0


def test_negatives_are_unseen_and_resampled_each_epoch(implicit_data):
    indexed = index_data(implicit_data, "implicit")
    seen = indexed.seen_keys()
    users = np.repeat(np.arange(len(indexed.users)), 50)
    negatives = sample_negatives(users, len(indexed.items), seen, np.random.default_rng(0))
    assert not np.isin(users * len(indexed.items) + negatives, seen).any()
    module = NCFDataModule(
        indexed,
        "implicit",
        batch_size=10_000,
        num_negatives=4,
        val_users=10,
        val_fraction=0.1,
        seed=0,
    )
    module.setup()
    loader = module.train_dataloader()
    first, second = (torch.cat([b[1] for b in loader]) for _ in range(2))
    assert len(first) == 5 * len(module.train_rows)
    assert not torch.equal(first, second)
    _, candidates = module.val_tensors
    assert candidates.shape == (10, 100)


def test_dropout_applies_in_training_only():
    module = NeuMF(4, 5, 1, NCFConfig(dropout=0.5, layers=(8, 4)))
    assert sum(isinstance(layer, torch.nn.Dropout) for layer in module.mlp) == 2
    users, items = torch.arange(4), torch.arange(4)
    module.eval()
    torch.testing.assert_close(module(users, items), module(users, items))


def test_config_validates_the_objective():
    with pytest.raises(ValueError):
        NCFConfig(objective="pairwise")
    assert NCFConfig.from_dict({"layers": [8, 4]}).layers == (8, 4)


def test_each_epoch_logs_its_progress(implicit_data, caplog):
    with caplog.at_level(logging.INFO, logger="hz45.engines.ncf"):
        NCFEngine(FAST | {"epochs": 2, "patience": 5}).fit(implicit_data)
    lines = [r.getMessage() for r in caplog.records if r.name == "hz45.engines.ncf"]
    assert len(lines) == 2
    for n, line in enumerate(lines, start=1):
        assert re.fullmatch(rf"epoch {n}/2: train loss \d\.\d{{4}}, val_ndcg \d\.\d{{4}}, [\d.]+s", line)


def test_max_seconds_stops_before_an_epoch_would_overrun(implicit_data, caplog):
    with caplog.at_level(logging.INFO, logger="hz45.engines.ncf"):
        engine = NCFEngine(FAST | {"epochs": 30, "patience": 30, "max_seconds": 1e-6})
        engine.fit(implicit_data)
    assert engine.metrics["epochs"] == 1
    assert any("overrun max_seconds" in r.getMessage() for r in caplog.records)


def test_small_training_sets_get_smaller_batches_so_epochs_keep_their_steps():
    config = NCFConfig()
    assert config.batch_for(5_000_000) == config.batch_size == 4096  # ML-1M with 4 negatives
    assert config.batch_for(128 * 1000) == 1000
    assert config.batch_for(10_000) == 256  # never below 256 rows
    assert NCFConfig(batch_size=128).batch_for(10_000) == 128  # an explicit smaller batch stands
