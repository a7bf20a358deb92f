"""NCF training data: id indexing, a validation split for early stopping, and per-epoch
batches with negatives sampled by a seeded generator (the NCF paper's protocol)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, IterableDataset

from engines.base import TrainingData

GENDER_INDEX = {"FEMALE": 1, "MALE": 2, "OTHER": 3}  # 0 = unknown
N_GENDERS = 4
VAL_NEGATIVES = 99


@dataclass
class IndexedData:
    """Interactions in model indices (0..n-1) with the raw-id maps and per-user demographics."""

    users: pd.Index  # raw user id at each model index
    items: pd.Index
    user_age: np.ndarray  # age-group index per user, 0 = unknown
    user_gender: np.ndarray
    n_age_groups: int
    pair_users: np.ndarray
    pair_items: np.ndarray
    targets: np.ndarray  # the rating, or 1 for an implicit interaction
    timestamps: np.ndarray

    def seen_keys(self) -> np.ndarray:
        """Sorted ``user * n_items + item`` keys of every interaction."""
        return np.unique(self.pair_users * len(self.items) + self.pair_items)


def index_data(data: TrainingData, objective: str) -> IndexedData:
    """Index the ratings (objective ``rating``) or every rated/played pair (``implicit``),
    and every catalog item of ``data.items``."""
    if objective == "rating":
        frame = data.ratings[["user_id", "item_id", "rating", "timestamp"]]
    else:
        pairs = pd.concat(
            [
                data.ratings[["user_id", "item_id", "timestamp"]],
                data.plays[["user_id", "item_id", "timestamp"]],
            ]
        )
        frame = pairs.groupby(["user_id", "item_id"], as_index=False, sort=False)["timestamp"].max()
        frame["rating"] = 1.0
    if not len(frame):
        raise ValueError(f"ncf ({objective}) has no interactions to train on")
    users = pd.Index(np.unique(frame["user_id"].to_numpy()))
    # Catalog items nobody interacted with yet still get an embedding (trained as negatives).
    items = pd.Index(
        np.union1d(frame["item_id"].to_numpy(), data.items["item_id"].to_numpy()).astype(np.int64)
    )
    demographics = data.users.drop_duplicates("user_id").set_index("user_id").reindex(users)
    age_groups = np.unique(data.users["age_group"].dropna().to_numpy(dtype=np.int64))
    ages = demographics["age_group"].to_numpy(dtype=np.float64)
    user_age = np.where(np.isnan(ages), 0, np.searchsorted(age_groups, np.nan_to_num(ages)) + 1)
    genders = demographics["gender"].map(GENDER_INDEX).fillna(0).to_numpy(dtype=np.int64)
    return IndexedData(
        users=users,
        items=items,
        user_age=user_age.astype(np.int64),
        user_gender=genders,
        n_age_groups=len(age_groups) + 1,
        pair_users=users.get_indexer(frame["user_id"]).astype(np.int64),
        pair_items=items.get_indexer(frame["item_id"]).astype(np.int64),
        targets=frame["rating"].to_numpy(dtype=np.float32),
        timestamps=frame["timestamp"].to_numpy(dtype=np.int64),
    )


def sample_negatives(
    users: np.ndarray, n_items: int, seen_keys: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One uniformly drawn item per entry of ``users`` that the user never interacted with."""
    items = rng.integers(0, n_items, size=len(users))
    todo = np.arange(len(users))
    for _ in range(100):  # users who have seen almost everything could loop forever
        keys = users[todo] * n_items + items[todo]
        found = np.searchsorted(seen_keys, keys)
        clash = seen_keys[np.minimum(found, len(seen_keys) - 1)] == keys
        todo = todo[clash]
        if not len(todo):
            break
        items[todo] = rng.integers(0, n_items, size=len(todo))
    return items


class EpochBatches(IterableDataset):
    """Shuffled batches of tensors; ``make_epoch(rng)`` builds each epoch's arrays anew.

    In data-parallel training every process (``rank`` of ``world``) draws the same epoch and
    takes its share of each batch, so together the processes take the batches one process
    would: DDP's averaged gradient is that of the whole batch, and the seed fixes each share.
    """

    def __init__(
        self,
        make_epoch: Callable[[np.random.Generator], tuple[np.ndarray, ...]],
        n_rows: int,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        self.make_epoch, self.n_rows, self.batch_size, self.seed = (
            make_epoch,
            n_rows,
            batch_size,
            seed,
        )
        self.rank, self.world = rank, world
        self.epoch = 0

    def __len__(self) -> int:
        return -(-self.n_rows // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        arrays = self.make_epoch(rng)
        order = rng.permutation(len(arrays[0]))
        tensors = [torch.from_numpy(np.ascontiguousarray(a[order])) for a in arrays]
        for start in range(0, len(order), self.batch_size):
            share = self._share(start, min(start + self.batch_size, len(order)))
            yield tuple(t[share] for t in tensors)

    def _share(self, start: int, stop: int) -> slice:
        """This rank's contiguous part of the batch ``start:stop`` (sizes differ by one at most)."""
        n = stop - start
        low, high = start + n * self.rank // self.world, start + n * (self.rank + 1) // self.world
        # A last batch smaller than the world leaves some ranks nothing; they repeat its first
        # row, as every rank must step together (an empty batch has no mean loss).
        return slice(low, high) if high > low else slice(start, start + 1)


class NCFDataModule(pl.LightningDataModule):
    """Train/validation batches for one objective.

    ``implicit``: each epoch has every training positive plus ``num_negatives`` fresh
    negatives per positive; validation holds out the latest interaction of up to
    ``val_users`` users, ranked against 99 sampled negatives. ``rating``: a random
    ``val_fraction`` of the ratings is held out. Under a distributed trainer each process
    loads its share of every training batch and of the validation rows.
    """

    def __init__(self, indexed: IndexedData, objective: str, batch_size: int, num_negatives: int,
                 val_users: int, val_fraction: float, seed: int) -> None:  # fmt: skip
        super().__init__()
        self.indexed, self.objective, self.batch_size = indexed, objective, batch_size
        self.num_negatives, self.val_users, self.val_fraction, self.seed = (
            num_negatives,
            val_users,
            val_fraction,
            seed,
        )
        self.train_rows: np.ndarray | None = None
        self.val_tensors: tuple[torch.Tensor, ...] = ()

    @property
    def has_validation(self) -> bool:
        """Whether a validation split exists (tiny data may have none)."""
        return bool(self.val_tensors) and len(self.val_tensors[0]) > 0

    def setup(self, stage: str | None = None) -> None:
        """Split once into training rows and validation tensors (idempotent)."""
        if self.train_rows is not None:
            return
        rng = np.random.default_rng([self.seed, 1])
        n = len(self.indexed.targets)
        if self.objective == "rating":
            val = rng.random(n) < self.val_fraction if n > 1 else np.zeros(n, dtype=bool)
            self.train_rows = np.flatnonzero(~val)
            d = self.indexed
            self.val_tensors = tuple(
                torch.from_numpy(a[val]) for a in (d.pair_users, d.pair_items, d.targets)
            )
        else:
            self._split_leave_one_out(rng)

    def _split_leave_one_out(self, rng: np.random.Generator) -> None:
        d = self.indexed
        order = np.lexsort((rng.random(len(d.targets)), d.timestamps, d.pair_users))
        counts = np.bincount(d.pair_users, minlength=len(d.users))
        last = order[np.r_[d.pair_users[order][1:] != d.pair_users[order][:-1], True]]
        last = last[counts[d.pair_users[last]] > 1]
        last = rng.permutation(last)[: self.val_users]
        keep = np.ones(len(d.targets), dtype=bool)
        keep[last] = False
        self.train_rows = np.flatnonzero(keep)
        users = d.pair_users[last]
        negatives = sample_negatives(
            np.repeat(users, VAL_NEGATIVES), len(d.items), d.seen_keys(), rng
        )
        candidates = np.column_stack(
            [d.pair_items[last], negatives.reshape(len(last), VAL_NEGATIVES)]
        )
        self.val_tensors = (torch.from_numpy(users), torch.from_numpy(candidates))

    def _rank_and_world(self) -> tuple[int, int]:
        trainer = self.trainer
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def train_dataloader(self) -> DataLoader:
        d, rows = self.indexed, self.train_rows
        users, items, targets = d.pair_users[rows], d.pair_items[rows], d.targets[rows]
        rank, world = self._rank_and_world()
        if self.objective == "rating" or self.num_negatives == 0:
            return DataLoader(
                EpochBatches(lambda rng: (users, items, targets), len(rows), self.batch_size,
                             self.seed, rank, world),  # fmt: skip
                batch_size=None,
            )
        seen = d.seen_keys()
        neg_users = np.repeat(users, self.num_negatives)
        labels = np.r_[np.ones(len(rows)), np.zeros(len(neg_users))].astype(np.float32)

        def make_epoch(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
            negatives = sample_negatives(neg_users, len(d.items), seen, rng)
            return np.r_[users, neg_users], np.r_[items, negatives], labels

        return DataLoader(
            EpochBatches(make_epoch, len(labels), self.batch_size, self.seed, rank, world),
            batch_size=None,
        )

    def val_dataloader(self) -> DataLoader:
        """This process's validation rows (every ``world``-th from its ``rank``) in as many
        batches as every other process has, as DDP needs the processes to step together. A
        batch may be empty; the metrics weigh each process by its rows."""
        batch = 4096 if self.objective == "rating" else 512
        rank, world = self._rank_and_world()
        most_rows = -(-len(self.val_tensors[0]) // world)  # of any process
        n_batches = max(1, -(-most_rows // batch))
        parts = [torch.tensor_split(t[rank::world], n_batches) for t in self.val_tensors]
        return DataLoader(list(zip(*parts, strict=True)), batch_size=None)
