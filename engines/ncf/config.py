"""Hyper-parameters of the ``ncf`` engine (a JSON-round-tripping dataclass)."""

from __future__ import annotations

from dataclasses import dataclass

from engines.base import EngineConfig

OBJECTIVES = ("implicit", "rating")
# Lightning strategies the engine supports: one process, or data-parallel processes that each
# train a replica on their share of every batch. "ddp_spawn" (and "ddp_fork") start workers
# for each training and hand the model back to the calling process alone; with "ddp" every
# process runs the caller's whole program (Lightning re-runs the command, or torchrun/srun
# started it), so each one also does whatever the caller does with the model.
STRATEGIES = ("auto", "ddp", "ddp_spawn", "ddp_fork", "ddp_notebook")
MIN_STEPS = 128  # a small training set still gets this many optimiser steps per epoch
MIN_BATCH = 256


@dataclass
class NCFConfig(EngineConfig):
    """Hyper-parameters of :class:`~engines.ncf.engine.NCFEngine`.

    ``objective`` is ``implicit`` (BCE with ``num_negatives`` sampled negatives per positive)
    or ``rating`` (MSE). Early stopping watches validation NDCG@10 (implicit, on up to
    ``val_users`` held-out users) or RMSE (rating, on ``val_fraction`` of the ratings).
    With ``pretrain_epochs`` > 0 the GMF and MLP towers are first trained alone (Adam), then
    fused and fine-tuned for ``epochs`` with plain SGD at ``finetune_lr``, as in the NCF paper.
    ``lr_decay`` multiplies the learning rate after every epoch; ``dropout`` applies before
    each MLP layer; ``demo_dim=0`` turns the age-group/gender embeddings off.

    ``accelerator``, ``devices``, ``strategy`` and ``num_nodes`` go to Lightning's ``Trainer``:
    by default one process, on a GPU when there is one. ``devices=N`` with ``strategy=
    "ddp_spawn"`` trains in N processes (N GPUs, or N CPU processes over gloo with
    ``accelerator="cpu"``); see :data:`STRATEGIES`. ``batch_size`` stays the batch of one
    optimiser step across all processes, each taking its share, so a config trains the same
    model (up to float rounding) on any number of them.

    ``retrieval_candidates``: a user's top picks come from the ``retrieval_candidates`` unseen
    items whose GMF part of the score (a dot product) is highest, which the whole network then
    ranks, instead of running the network on every item (0: every item). On the demo data 500
    held 99.6% of the network's own top 50 over every item. From ``exact_retrieval_below``
    items on, that shortlist comes from an inverted-file index (:mod:`engines.retrieval`)
    rather than a dot product with every item.
    """

    # The defaults train in about 3 minutes on 2 CPU cores on ML-1M (docs/benchmarks.md):
    # the two towers pre-trained for up to 8 epochs each, fused without fine-tuning.
    objective: str = "implicit"
    gmf_dim: int = 64
    mlp_dim: int = 64
    demo_dim: int = 5
    layers: tuple[int, ...] = (128, 64, 32)
    dropout: float = 0.0
    lr: float = 5e-3
    lr_decay: float = 0.85
    batch_size: int = 4096  # at most; see batch_for
    epochs: int = 0
    pretrain_epochs: int = 8
    finetune_lr: float = 1e-2
    num_negatives: int = 4
    patience: int = 2
    val_users: int = 1000
    val_fraction: float = 0.1
    max_seconds: float | None = None
    accelerator: str = "auto"
    devices: int | str = 1  # processes per node: a count, or "auto" (every GPU, else one)
    strategy: str = "auto"
    num_nodes: int = 1
    rating_scale: tuple[float, float] = (0.0, 5.0)
    retrieval_candidates: int = 500
    exact_retrieval_below: int = 20_000

    def batch_for(self, rows: int) -> int:
        """Rows per step for an epoch of ``rows``: ``batch_size``, or less on small data so an
        epoch still takes :data:`MIN_STEPS` steps (never under :data:`MIN_BATCH` rows)."""
        return int(min(self.batch_size, max(MIN_BATCH, rows // MIN_STEPS)))

    def __post_init__(self) -> None:
        self.layers = tuple(int(n) for n in self.layers)  # JSON gives lists back
        self.rating_scale = tuple(float(x) for x in self.rating_scale)  # type: ignore[assignment]
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; expected one of {OBJECTIVES}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; expected one of {STRATEGIES}")
