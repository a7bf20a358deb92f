"""The ``ncf`` engine: trains :class:`~engines.ncf.module.NeuMF` with Lightning and serves
scores from it. Artifacts are bytes holding the config, id maps and state dict only."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Self

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import EarlyStopping
from scipy import sparse

from engines.base import Engine, TrainingData, UserContext
from engines.ncf.config import NCFConfig
from engines.ncf.data import IndexedData, NCFDataModule, index_data
from engines.ncf.module import NeuMF, fuse
from engines.retrieval import InnerProductIndex

ARTIFACT_FORMAT = 1
RESULT = "ncf_result/"  # callback_metrics keys that carry a fit's summary (see _KeepBest)
LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")
log = logging.getLogger("hz45.engines.ncf")


class _Progress(pl.Callback):
    """Logs one INFO line per epoch and stops when another epoch as long as the last one
    would end after the deadline."""

    def __init__(self, label: str, epochs: int, monitor: str, deadline: float | None) -> None:
        self.label, self.epochs, self.monitor, self.deadline = label, epochs, monitor, deadline
        self.started = time.perf_counter()
        self.shown = log.isEnabledFor(logging.INFO)
        self.in_worker = False

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Only ddp_spawn's worker processes unpickle the trainer: nothing configures logging
        # there, so carry over the caller's quiet Lightning and its choice to see progress.
        self.__dict__.update(state)
        _silence_lightning()
        if self.shown and not log.hasHandlers():
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
        self.in_worker = True

    def setup(self, trainer: pl.Trainer, module: pl.LightningModule, stage: str) -> None:
        if self.in_worker:
            # Lightning hands the weights back through a fresh temporary folder that it leaves
            # behind: made inside the training's own folder, it goes away with that.
            tempfile.tempdir = trainer.default_root_dir

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.started = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        # Validation of the epoch has run by now (it ends the epoch's last batch).
        now = time.perf_counter()
        seconds = now - self.started
        value = trainer.callback_metrics.get(self.monitor)
        shown = f"{self.monitor} {float(value):.4f}" if value is not None else "no validation"
        loss = module.epoch_train_loss()  # on every process: it sums over them
        if trainer.is_global_zero:
            log.info("%sepoch %d/%d: train loss %.4f, %s, %.1fs", self.label,
                     trainer.current_epoch + 1, self.epochs, loss, shown, seconds)  # fmt: skip
        if self.deadline is None:
            return
        # Processes stop together, when any of them would overrun.
        overrun = trainer.strategy.reduce_boolean_decision(now + seconds > self.deadline, all=False)
        if overrun:
            if trainer.current_epoch + 1 < self.epochs and trainer.is_global_zero:
                log.info("%sstopping: the next epoch would overrun max_seconds", self.label)
            trainer.should_stop = True


class _KeepBest(pl.Callback):
    """Keeps the weights of the best validation epoch in memory (no checkpoint files) and
    puts them back into the module when training ends.

    The validation before the first epoch (Lightning's sanity check over the whole split)
    lets the starting weights compete as epoch 0. The best epoch's metrics and the epoch
    count go into ``trainer.callback_metrics`` under :data:`RESULT`, which ddp_spawn carries
    back to the calling process along with the (best) weights.
    """

    def __init__(self, monitor: str, mode: str) -> None:
        self.monitor, self.sign = monitor, 1.0 if mode == "max" else -1.0
        self.best = -np.inf
        self.state: dict[str, torch.Tensor] | None = None
        self.metrics: dict[str, float] = {}

    def on_validation_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if value is None or self.sign * float(value) <= self.best:
            return
        self.best = self.sign * float(value)
        self.state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
        epoch = 0 if trainer.sanity_checking else trainer.current_epoch + 1
        self.metrics = metrics | {"best_epoch": epoch}

    def on_train_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if self.state is not None:
            module.load_state_dict(self.state)
        summary = self.metrics | {"epochs": trainer.current_epoch}
        results = {RESULT + name: torch.tensor(float(value)) for name, value in summary.items()}
        trainer.callback_metrics.update(results)


def _silence_lightning() -> None:
    """Lightning's start-up banners and data-loader advice off (log levels, warning filters)."""
    warnings.filterwarnings("ignore", module=r"lightning\..*")
    warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
    for name in LIGHTNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Lightning during training, restoring its log levels and warning filters after."""
    levels = {name: logging.getLogger(name).level for name in LIGHTNING_LOGGERS}
    with warnings.catch_warnings():
        try:
            _silence_lightning()
            yield
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)


class NCFEngine(Engine):
    """Neural collaborative filtering (NeuMF + demographics); CPU by default, GPU when present,
    several processes (GPUs or CPU) with ``strategy="ddp_spawn"`` and ``devices=N``."""

    name = "ncf"
    config_class = NCFConfig
    config: NCFConfig

    def fit(self, data: TrainingData) -> Self:
        """Train with early stopping on the validation split; keeps the best epoch's weights."""
        cfg = self.config
        self._deadline = time.perf_counter() + cfg.max_seconds if cfg.max_seconds else None
        indexed = index_data(data, cfg.objective)
        rows = len(indexed.targets) * (1 + (cfg.num_negatives if cfg.objective == "implicit" else 0))
        datamodule = NCFDataModule(indexed, cfg.objective, cfg.batch_for(rows), cfg.num_negatives,
                                   cfg.val_users, cfg.val_fraction, cfg.seed)  # fmt: skip
        datamodule.setup("fit")
        rating_mean = 0.0
        if cfg.objective == "rating":
            rating_mean = float(indexed.targets[datamodule.train_rows].mean())

        def new_module(tower: str) -> NeuMF:
            module = NeuMF(len(indexed.users), len(indexed.items), indexed.n_age_groups, cfg,
                           tower, rating_mean)  # fmt: skip
            module.set_demographics(indexed.user_age, indexed.user_gender)
            return module

        self.metrics = {"batch_size": float(datamodule.batch_size)}
        if cfg.pretrain_epochs:
            # max_seconds is shared out by epochs: what a phase leaves goes to the next ones.
            left = 2 * cfg.pretrain_epochs + cfg.epochs
            gmf = self._train(lambda: new_module("gmf"), datamodule, cfg.pretrain_epochs, "gmf_",
                              share=cfg.pretrain_epochs / left)  # fmt: skip
            mlp = self._train(lambda: new_module("mlp"), datamodule, cfg.pretrain_epochs, "mlp_",
                              share=cfg.pretrain_epochs / (left - cfg.pretrain_epochs))  # fmt: skip
            module = self._train(lambda: fuse(gmf, mlp), datamodule, cfg.epochs)
        else:
            module = self._train(lambda: new_module("neumf"), datamodule, cfg.epochs)
        self._set_model(module, indexed.users, indexed.items, self._seen_matrix(indexed))
        return self

    def _train(
        self, make_module: Callable[[], NeuMF], datamodule: NCFDataModule, epochs: int,
        prefix: str = "", share: float = 1.0,
    ) -> NeuMF:
        """Fit the module ``make_module`` builds for up to ``epochs`` (and ``share`` of the time
        left before the deadline), in one process or as many as the config's strategy starts;
        returns it with its best epoch's weights, on CPU."""
        cfg = self.config
        # Every phase starts from the seed, whatever the phases before drew (in this process,
        # or in ddp_spawn's workers): the same config gives the same model on any processes.
        pl.seed_everything(cfg.seed, verbose=False)
        module = make_module()
        if epochs <= 0:
            return module
        monitor, mode = ("val_ndcg", "max") if cfg.objective == "implicit" else ("val_rmse", "min")
        keep_best = _KeepBest(monitor, mode)
        deadline = self._deadline
        if deadline is not None:
            now = time.perf_counter()
            deadline = now + share * max(deadline - now, 0.0)
        progress = _Progress(prefix.replace("_", " tower: "), epochs, monitor, deadline)
        callbacks: list[pl.Callback] = [keep_best, progress]
        if datamodule.has_validation:
            callbacks.append(EarlyStopping(monitor, mode=mode, patience=cfg.patience))
        with _quiet(), tempfile.TemporaryDirectory() as root:
            trainer = pl.Trainer(
                max_epochs=epochs, accelerator=cfg.accelerator, devices=cfg.devices,
                strategy=cfg.strategy, num_nodes=cfg.num_nodes, logger=False,
                enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                # the data module shares batches out itself (see EpochBatches)
                use_distributed_sampler=False, default_root_dir=root, callbacks=callbacks,
                # the starting weights compete too (fused towers): validated in full first
                num_sanity_val_steps=-1 if datamodule.has_validation else 0,
                limit_val_batches=1.0 if datamodule.has_validation else 0,
            )  # fmt: skip
            trainer.fit(module, datamodule=datamodule)
        # From callback_metrics, as with ddp_spawn the callbacks ran in other processes.
        metrics = {k.removeprefix(RESULT): float(v) for k, v in trainer.callback_metrics.items()
                   if k.startswith(RESULT)}  # fmt: skip
        self.metrics |= {prefix + name: value for name, value in metrics.items()}
        return module.cpu()

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
        """Every item the model has an embedding for (interacted with, or in the catalog)."""
        return self._items.to_numpy(dtype=np.int64)

    def candidates(self, context: UserContext) -> np.ndarray:
        """Items the user has not interacted with (none for an unknown user: it has no score),
        narrowed to the ``retrieval_candidates`` best by the GMF tower when there are more."""
        user = self._user_index(context)
        if user < 0:
            return np.empty(0, dtype=np.int64)
        mask = np.ones(len(self._items), dtype=bool)
        mask[self._seen.indices[self._seen.indptr[user] : self._seen.indptr[user + 1]]] = False
        limit = self.config.retrieval_candidates
        if self._retrieval is None or not limit or mask.sum() <= limit:
            return self.known_items()[mask]
        user_side, index = self._retrieval
        top = index.top(user_side[user], limit, exclude=np.flatnonzero(~mask))
        return self.known_items()[np.sort(top)]

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
        module = NeuMF(len(users), len(items), payload["n_age_groups"], engine.config)
        module.load_state_dict(payload["state_dict"])
        indptr, indices = payload["seen_indptr"].numpy(), payload["seen_indices"].numpy()
        seen = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(len(users), len(items))
        )
        engine._set_model(module, users, items, seen)
        engine.metrics = dict(payload["metrics"])
        return engine

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
        gmf = self._gmf_factors(self.module)
        self._retrieval = None if gmf is None else (gmf[0], InnerProductIndex(
            gmf[1], exact_below=self.config.exact_retrieval_below))
        self.fitted = True

    @staticmethod
    def _gmf_factors(module: NeuMF) -> tuple[np.ndarray, np.ndarray] | None:
        """``(users, items)`` float32 factors whose dot product is the GMF tower's part of the
        output (``w_gmf · (p_u ∘ q_i)``): the user side carries the output weights. None for
        a model without a GMF tower."""
        if module.tower == "mlp":
            return None
        with torch.no_grad():
            weights = module.output.weight[0, : module.user_gmf.embedding_dim]
            users = (module.user_gmf.weight * weights).numpy().astype(np.float32)
            items = np.ascontiguousarray(module.item_gmf.weight.numpy(), dtype=np.float32)
        return users, items

    def _user_index(self, context: UserContext) -> int:
        if context.user_id is None:
            return -1
        return int(self._users.get_indexer([context.user_id])[0])

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling goes through the artifact format: no training-time objects leak into it.
        if self.fitted:
            return type(self).loads, (self.dumps(),)
        return type(self), (self.config.to_dict(),)
