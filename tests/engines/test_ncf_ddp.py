"""NCF under Lightning's DDP: two CPU processes (gloo) train what one process trains."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.distributed

from engines.base import TrainingData, UserContext
from engines.datasets import LoadedDataset
from engines.evaluation import Fold, rank_held_out, rank_metrics, split_dataset
from engines.ncf import NCFConfig, NCFEngine
from engines.ncf.data import EpochBatches, NCFDataModule, index_data
from tests.engines.test_ncf import FAST, block_interactions

needs_gloo = pytest.mark.skipif(
    not (torch.distributed.is_available() and torch.distributed.is_gloo_available()),
    reason="torch.distributed without the gloo backend",
)
# Pre-trained towers, as by default: the GMF tower stops early (epoch 11 of 12, two past its
# best), the MLP tower and the fused model keep their starting weights (epoch 0). The best
# weights must come back from the worker processes in every phase.
CONFIG = FAST | {"pretrain_epochs": 12, "epochs": 2, "patience": 2, "batch_size": 64}
TWO_PROCESSES = {"accelerator": "cpu", "strategy": "ddp_spawn", "devices": 2}


class Popularity:
    """The baseline: items ranked by how many users played them."""

    def fit(self, data: TrainingData) -> Popularity:
        self.counts = data.plays["item_id"].value_counts()
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        return self.counts.reindex(item_ids, fill_value=0).to_numpy(dtype=np.float64)


def hr_ndcg(model, fold: Fold) -> tuple[float, float]:
    return rank_metrics(rank_held_out(model, fold, k=10)[0], k=10)


@pytest.fixture(scope="module")
def fold() -> Fold:
    return split_dataset(LoadedDataset("blocks", block_interactions()), "hr")[0]


@pytest.fixture(scope="module")
def engines(fold) -> dict[int, NCFEngine]:
    """The same config fitted in one process and in two."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models gain nothing from threads
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("OMP_NUM_THREADS", "1")  # the workers' threads (Lightning reads it)
            return {
                1: NCFEngine(CONFIG).fit(fold.train),
                2: NCFEngine(CONFIG | TWO_PROCESSES).fit(fold.train),
            }
    finally:
        torch.set_num_threads(threads)


@needs_gloo
@pytest.mark.slow
def test_two_processes_learn_what_one_process_learns(engines, fold):
    one, two = hr_ndcg(engines[1], fold), hr_ndcg(engines[2], fold)
    popular, _ = hr_ndcg(Popularity().fit(fold.train), fold)
    assert two == pytest.approx(one, abs=0.03)
    assert two[0] > popular + 0.3 and two[0] > 0.4  # random ranking: HR@10 = 0.1
    # The processes share out the batches one process would take: the same training, up to
    # the order of float additions.
    context, items = UserContext(user_id=3), engines[1].known_items()
    np.testing.assert_allclose(engines[2].score(context, items), engines[1].score(context, items),
                               atol=1e-3)  # fmt: skip


@needs_gloo
@pytest.mark.slow
def test_early_stopping_and_best_weights_come_back_from_the_workers(engines):
    metrics = engines[2].metrics
    assert metrics["gmf_best_epoch"] < metrics["gmf_epochs"] < CONFIG["pretrain_epochs"]
    assert metrics.keys() == engines[1].metrics.keys()
    for name, value in engines[1].metrics.items():
        assert metrics[name] == pytest.approx(value, abs=1e-4), name


@needs_gloo
@pytest.mark.slow
def test_a_two_process_engine_scores_and_serializes_like_any(engines, fold):
    engine = engines[2]
    assert not engine.module.training and engine.module.device.type == "cpu"
    context, items = UserContext(user_id=7), engine.known_items()
    loaded = NCFEngine.loads(engine.dumps())
    np.testing.assert_array_equal(loaded.score(context, items), engine.score(context, items))
    np.testing.assert_array_equal(loaded.candidates(context), engine.candidates(context))
    again = pickle.loads(pickle.dumps(engine))
    np.testing.assert_array_equal(again.score(context, items), engine.score(context, items))
    assert loaded.config.strategy == "ddp_spawn" and loaded.config.devices == 2


def test_each_rank_takes_its_own_deterministic_share_of_every_batch():
    def make_epoch(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        return (rng.permutation(1000),)  # a fresh epoch from the seeded generator

    def batches(rank: int, world: int) -> list[torch.Tensor]:
        return [b for (b,) in EpochBatches(make_epoch, 1000, 64, seed=5, rank=rank, world=world)]

    whole, shares = batches(0, 1), [batches(rank, 3) for rank in range(3)]
    assert all(len(share) == len(whole) == 16 for share in shares)  # the ranks step together
    for n, batch in enumerate(whole):
        parts = [share[n] for share in shares]
        torch.testing.assert_close(torch.cat(parts), batch)  # disjoint, and all of the batch
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    for share, rank in zip(shares, range(3), strict=True):
        torch.testing.assert_close(torch.cat(batches(rank, 3)), torch.cat(share))
    # A last batch of one row for three ranks: the ranks left without rows repeat it.
    last = [list(EpochBatches(make_epoch, 1000, 999, 5, rank, 3))[-1][0] for rank in range(3)]
    assert [t.tolist() for t in last] == [last[2].tolist()] * 3 and len(last[2]) == 1


def test_validation_rows_are_shared_out_in_as_many_steps_per_rank():
    indexed = index_data(block_interactions(), "implicit")
    module = NCFDataModule(indexed, "implicit", batch_size=64, num_negatives=4, val_users=40,
                           val_fraction=0.1, seed=0)  # fmt: skip
    module.setup()
    users = []
    for rank in range(3):
        module.trainer = SimpleNamespace(global_rank=rank, world_size=3)
        steps = list(module.val_dataloader())
        assert len(steps) == 1
        users.append(torch.cat([batch_users for batch_users, _ in steps]))
    assert sorted(torch.cat(users).tolist()) == sorted(module.val_tensors[0].tolist())


def test_the_config_takes_lightning_strategies_and_round_trips():
    config = NCFConfig.from_dict({"strategy": "ddp_spawn", "devices": 4, "num_nodes": 2})
    assert NCFConfig.from_dict(config.to_dict()) == config
    assert NCFConfig().devices == 1 and NCFConfig().strategy == "auto"  # one process by default
    with pytest.raises(ValueError):
        NCFConfig(strategy="deepspeed")
