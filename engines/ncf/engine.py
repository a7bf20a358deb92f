"""The ``ncf`` engine: trains :class:`~engines.ncf.module.NeuMF` with Lightning and serves
scores from it. Artifacts are bytes holding the config, id maps and state dict only."""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Self

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import EarlyStopping
from scipy import sparse

from engines.base import Engine, EngineConfig, TrainingData, UserContext
from engines.ncf.data import N_GENDERS, IndexedData, NCFDataModule, index_data
from engines.ncf.module import NeuMF

ARTIFACT_FORMAT = 1


@dataclass
class NCFConfig(EngineConfig):
    """Hyper-parameters of :class:`NCFEngine`.

    ``objective`` is ``implicit`` (BCE with ``num_negatives`` sampled negatives per positive)
    or ``rating`` (MSE). Early stopping watches validation NDCG@10 (implicit, on up to
    ``val_users`` held-out users) or RMSE (rating, on ``val_fraction`` of the ratings).
    ``lr_decay`` multiplies the learning rate after every epoch; ``dropout`` applies before
    each MLP layer; ``embedding_l2`` penalises the squared norm of the embeddings in a batch. ``demo_dim=0`` turns the age-group/gender embeddings off.
    """

    objective: str = "implicit"
    gmf_dim: int = 16
    mlp_dim: int = 32
    demo_dim: int = 5
    layers: tuple[int, ...] = (64, 32, 16)
    lr: float = 1e-3
    weight_decay: float = 0.0
    lr_decay: float = 1.0
    dropout: float = 0.0
    embedding_l2: float = 0.0
    batch_size: int = 1024
    epochs: int = 20
    num_negatives: int = 4
    patience: int = 3
    val_users: int = 1000
    val_fraction: float = 0.1
    accelerator: str = "auto"
    rating_scale: tuple[float, float] = (0.0, 5.0)

    def __post_init__(self) -> None:
        self.layers = tuple(int(n) for n in self.layers)  # JSON gives lists back
        self.rating_scale = tuple(float(x) for x in self.rating_scale)  # type: ignore[assignment]
        if self.objective not in ("implicit", "rating"):
            raise ValueError(f"unknown objective {self.objective!r}; expected implicit or rating")


class _KeepBest(pl.Callback):
    """Keeps the weights of the best validation epoch in memory (no checkpoint files)."""

    def __init__(self, monitor: str, mode: str) -> None:
        self.monitor, self.sign = monitor, 1.0 if mode == "max" else -1.0
        self.best = -np.inf
        self.state: dict[str, torch.Tensor] | None = None
        self.metrics: dict[str, float] = {}

    def on_validation_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if trainer.sanity_checking or value is None or self.sign * float(value) <= self.best:
            return
        self.best = self.sign * float(value)
        self.state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
        self.metrics = metrics | {"best_epoch": trainer.current_epoch + 1}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Lightning's start-up banners and data-loader advice during training."""
    names = ("lightning.pytorch", "lightning.fabric", "lightning")
    levels = {name: logging.getLogger(name).level for name in names}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"lightning\..*")
        warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
        for name in names:
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            yield
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)


class NCFEngine(Engine):
    """Neural collaborative filtering (NeuMF + demographics); CPU by default, GPU when present."""

    name = "ncf"
    config_class = NCFConfig
    config: NCFConfig

    def fit(self, data: TrainingData) -> Self:
        """Train with early stopping on the validation split; keeps the best epoch's weights."""
        cfg = self.config
        pl.seed_everything(cfg.seed, verbose=False)
        indexed = index_data(data, cfg.objective)
        datamodule = NCFDataModule(indexed, cfg.objective, cfg.batch_size, cfg.num_negatives,
                                   cfg.val_users, cfg.val_fraction, cfg.seed)  # fmt: skip
        datamodule.setup("fit")
        rating_mean = (
            float(indexed.targets[datamodule.train_rows].mean())
            if cfg.objective == "rating"
            else 0.0
        )
        module = self._new_module(
            len(indexed.users), len(indexed.items), indexed.n_age_groups, rating_mean
        )
        module.set_demographics(indexed.user_age, indexed.user_gender)
        monitor, mode = ("val_ndcg", "max") if cfg.objective == "implicit" else ("val_rmse", "min")
        keep_best = _KeepBest(monitor, mode)
        callbacks = [keep_best, EarlyStopping(monitor, mode=mode, patience=cfg.patience)]
        with _quiet(), tempfile.TemporaryDirectory() as root:
            trainer = pl.Trainer(
                max_epochs=cfg.epochs, accelerator=cfg.accelerator, devices=1, logger=False,
                enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                num_sanity_val_steps=0, default_root_dir=root,
                callbacks=callbacks if datamodule.has_validation else [],
                limit_val_batches=1.0 if datamodule.has_validation else 0,
            )  # fmt: skip
            trainer.fit(module, datamodule=datamodule)
        if keep_best.state is not None:
            module.load_state_dict(keep_best.state)
        self.metrics = keep_best.metrics | {"epochs": trainer.current_epoch}
        self._set_model(module, indexed.users, indexed.items, self._seen_matrix(indexed))
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        """Logits (implicit) or clipped ratings; NaN for unknown users and items."""
        self._check_fitted()
        scores = np.full(len(item_ids), np.nan)
        user = self._user_index(context)
        if user < 0:
            return scores
        items = self._items.get_indexer(np.asarray(item_ids))
        known = items >= 0
        with torch.inference_mode():
            predicted = (
                self.module(torch.tensor(user), torch.from_numpy(items[known])).double().numpy()
            )
        if self.config.objective == "rating":
            predicted = np.clip(predicted, *self.config.rating_scale)
        scores[known] = predicted
        return scores

    def known_items(self) -> np.ndarray:
        """Every item id seen in training."""
        return self._items.to_numpy(dtype=np.int64)

    def candidates(self, context: UserContext) -> np.ndarray:
        """Items the user has not interacted with (none for an unknown user: it has no score)."""
        user = self._user_index(context)
        if user < 0:
            return np.empty(0, dtype=np.int64)
        mask = np.ones(len(self._items), dtype=bool)
        mask[self._seen.indices[self._seen.indptr[user] : self._seen.indptr[user + 1]]] = False
        return self.known_items()[mask]

    def dumps(self) -> bytes:
        """Config, id maps, seen items and the state dict, written with ``torch.save``."""
        self._check_fitted()
        payload = {
            "format": ARTIFACT_FORMAT,
            "config": self.config.to_dict(),
            "metrics": self.metrics,
            "users": torch.tensor(self._users.to_numpy(dtype=np.int64)),
            "items": torch.tensor(self.known_items()),
            "n_age_groups": self.module.age.num_embeddings if self.module.age is not None else 1,
            "seen_indptr": torch.from_numpy(self._seen.indptr.astype(np.int64)),
            "seen_indices": torch.from_numpy(self._seen.indices.astype(np.int64)),
            "state_dict": self.module.state_dict(),
        }
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        return buffer.getvalue()

    @classmethod
    def loads(cls, blob: bytes) -> Self:
        """Rebuild a fitted engine from :meth:`dumps` bytes, on CPU, without the training data."""
        try:
            with warnings.catch_warnings():  # a foreign pickle makes torch warn before failing
                warnings.simplefilter("ignore")
                payload = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise TypeError(f"not an ncf artifact: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
            raise TypeError("not an ncf artifact (or an unsupported format version)")
        engine = cls(payload["config"])
        users, items = pd.Index(payload["users"].numpy()), pd.Index(payload["items"].numpy())
        module = engine._new_module(len(users), len(items), payload["n_age_groups"], 0.0)
        module.load_state_dict(payload["state_dict"])
        indptr, indices = payload["seen_indptr"].numpy(), payload["seen_indices"].numpy()
        seen = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(len(users), len(items))
        )
        engine._set_model(module, users, items, seen)
        engine.metrics = dict(payload["metrics"])
        return engine

    def _new_module(
        self, n_users: int, n_items: int, n_age_groups: int, rating_mean: float
    ) -> NeuMF:
        cfg = self.config
        return NeuMF(n_users, n_items, n_age_groups, N_GENDERS, gmf_dim=cfg.gmf_dim,
                     mlp_dim=cfg.mlp_dim, demo_dim=cfg.demo_dim, layers=cfg.layers,
                     objective=cfg.objective, lr=cfg.lr,
                     weight_decay=cfg.weight_decay, lr_decay=cfg.lr_decay, dropout=cfg.dropout, embedding_l2=cfg.embedding_l2,
                     rating_mean=rating_mean)  # fmt: skip

    @staticmethod
    def _seen_matrix(indexed: IndexedData) -> sparse.csr_matrix:
        ones = np.ones(len(indexed.pair_users), dtype=np.int8)
        shape = (len(indexed.users), len(indexed.items))
        return sparse.csr_matrix((ones, (indexed.pair_users, indexed.pair_items)), shape=shape)

    def _set_model(
        self, module: NeuMF, users: pd.Index, items: pd.Index, seen: sparse.csr_matrix
    ) -> None:
        self.module = module.cpu().eval()
        self._users, self._items, self._seen = users, items, seen
        self.fitted = True

    def _user_index(self, context: UserContext) -> int:
        if context.user_id is None:
            return -1
        return int(self._users.get_indexer([context.user_id])[0])

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling goes through the artifact format: no training-time objects leak into it.
        if self.fitted:
            return type(self).loads, (self.dumps(),)
        return type(self), (self.config.to_dict(),)
