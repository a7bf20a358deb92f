"""NeuMF (He et al., 2017) as a LightningModule, with the deck's age-group and gender
embeddings feeding the MLP tower.

``implicit`` objective: a logit per (user, item), binary cross-entropy against sampled
negatives, validated by leave-one-out HR/NDCG. ``rating`` objective: a predicted rating
(mean + output), mean squared error, validated by RMSE/MAE. ``tower`` selects the whole
NeuMF or one tower alone (GMF or MLP), which is how the paper pre-trains NeuMF.
"""

from __future__ import annotations

import itertools

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from engines.ncf.config import NCFConfig
from engines.ncf.data import N_GENDERS

TOWERS = ("neumf", "gmf", "mlp")
VAL_K = 10


class NeuMF(pl.LightningModule):
    """GMF and MLP towers over user/item embeddings, fused by one linear output layer."""

    def __init__(
        self,
        n_users: int,
        n_items: int,
        n_age_groups: int,
        config: NCFConfig,
        tower: str = "neumf",
        rating_mean: float = 0.0,
    ) -> None:
        super().__init__()
        if tower not in TOWERS:
            raise ValueError(f"unknown tower {tower!r}; expected one of {TOWERS}")
        self.config, self.tower = config, tower
        self.optimizer_choice = ("adam", config.lr)
        gmf_dim, mlp_dim, demo_dim = config.gmf_dim, config.mlp_dim, config.demo_dim
        self.user_gmf, self.item_gmf = (
            nn.Embedding(n_users, gmf_dim),
            nn.Embedding(n_items, gmf_dim),
        )
        self.user_mlp, self.item_mlp = (
            nn.Embedding(n_users, mlp_dim),
            nn.Embedding(n_items, mlp_dim),
        )
        self.age = nn.Embedding(n_age_groups, demo_dim) if demo_dim else None
        self.gender = nn.Embedding(N_GENDERS, demo_dim) if demo_dim else None
        # Demographics per user index travel with the weights, so scoring needs only the ids.
        self.register_buffer("user_age", torch.zeros(n_users, dtype=torch.long))
        self.register_buffer("user_gender", torch.zeros(n_users, dtype=torch.long))
        self.register_buffer("rating_mean", torch.tensor(float(rating_mean)))
        sizes = [2 * mlp_dim + 2 * demo_dim, *config.layers]
        layers: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [nn.Dropout(config.dropout)] if config.dropout else []
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.mlp = nn.Sequential(*layers)
        fused = (gmf_dim if tower != "mlp" else 0) + (sizes[-1] if tower != "gmf" else 0)
        self.output = nn.Linear(fused, 1)
        self._init_weights()
        # A lone tower leaves the other's weights out of the loss; frozen, DDP skips them
        # rather than waiting for their gradients.
        unused = {"gmf": (self.user_mlp, self.item_mlp, self.age, self.gender, self.mlp),
                  "mlp": (self.user_gmf, self.item_gmf)}.get(tower, ())  # fmt: skip
        for part in unused:
            if part is not None:
                part.requires_grad_(False)
        self._val_outputs: list[torch.Tensor] = []
        self._loss_sum, self._loss_rows = torch.zeros(()), 0  # this epoch's training loss

    def _init_weights(self) -> None:
        for embedding in (self.user_gmf, self.item_gmf, self.user_mlp, self.item_mlp):
            nn.init.normal_(embedding.weight, std=0.01)
        for embedding in (self.age, self.gender):
            if embedding is not None:
                nn.init.normal_(embedding.weight, std=0.01)
        for layer in self.mlp:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
        nn.init.kaiming_uniform_(self.output.weight, a=1, nonlinearity="sigmoid")
        nn.init.zeros_(self.output.bias)

    def set_demographics(self, user_age: np.ndarray, user_gender: np.ndarray) -> None:
        """Store each user's age-group and gender index (0 = unknown)."""
        self.user_age.copy_(torch.tensor(np.asarray(user_age), dtype=torch.long))
        self.user_gender.copy_(torch.tensor(np.asarray(user_gender), dtype=torch.long))

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Logits (implicit) or ratings (rating) for broadcastable index tensors."""
        users, items = torch.broadcast_tensors(users, items)
        parts = []
        if self.tower != "mlp":
            parts.append(self.user_gmf(users) * self.item_gmf(items))
        if self.tower != "gmf":
            inputs = [self.user_mlp(users), self.item_mlp(items)]
            if self.age is not None and self.gender is not None:
                inputs += [self.age(self.user_age[users]), self.gender(self.user_gender[users])]
            parts.append(self.mlp(torch.cat(inputs, dim=-1)))
        return self.output(torch.cat(parts, dim=-1)).squeeze(-1) + self.rating_mean

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        users, items, targets = batch
        predicted = self(users, items)
        if self.config.objective == "implicit":
            loss = F.binary_cross_entropy_with_logits(predicted, targets)
        else:
            loss = F.mse_loss(predicted, targets)
        # Summed here rather than with self.log: no per-step logging work, one sync per epoch.
        self._loss_sum = self._loss_sum.to(loss.device) + loss.detach() * len(users)
        self._loss_rows += len(users)
        return loss

    def on_train_epoch_start(self) -> None:
        self._loss_sum, self._loss_rows = torch.zeros((), device=self.device), 0

    def epoch_train_loss(self) -> float:
        """Mean training loss of the epoch so far over every process (NaN before the first
        step); under a distributed trainer each process must call it."""
        rows = torch.tensor(float(self._loss_rows), device=self._loss_sum.device)
        loss, rows = self._sum_over_processes(torch.stack([self._loss_sum.float(), rows])).tolist()
        return loss / rows if rows else float("nan")

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        if self.config.objective == "implicit":
            users, candidates = batch  # candidates[:, 0] is the held-out positive
            scores = self(users.unsqueeze(1), candidates)
            self._val_outputs.append((scores[:, 1:] >= scores[:, :1]).sum(dim=1))
        else:
            users, items, ratings = batch
            self._val_outputs.append(self(users, items) - ratings)

    def on_validation_epoch_end(self) -> None:
        if not self._val_outputs:
            return
        values = torch.cat(self._val_outputs).float()
        self._val_outputs.clear()
        if self.config.objective == "implicit":
            hits = values < VAL_K
            hr, ndcg = self._mean_over_processes(
                hits.float(), torch.where(hits, 1.0 / torch.log2(values + 2.0), 0.0)
            )
            metrics = {"val_hr": hr, "val_ndcg": ndcg}
        else:
            mse, mae = self._mean_over_processes(values.square(), values.abs())
            metrics = {"val_rmse": mse.sqrt(), "val_mae": mae}
        # Equal on every process already: sync_dist only tells Lightning so (an average of
        # equal values), and every process then stops early and keeps weights alike.
        self.log_dict(metrics, sync_dist=True)

    def _mean_over_processes(self, *per_row: torch.Tensor) -> torch.Tensor:
        """Means of ``per_row`` over the rows of every process (processes may hold different
        numbers of rows, or none)."""
        rows = torch.tensor(float(len(per_row[0])), device=per_row[0].device)
        totals = self._sum_over_processes(torch.stack([rows, *(v.sum() for v in per_row)]))
        return totals[1:] / totals[0].clamp(min=1.0)

    def _sum_over_processes(self, totals: torch.Tensor) -> torch.Tensor:
        """``totals`` summed over every process of the trainer (as they are without one)."""
        if self._trainer is None:
            return totals
        return self.trainer.strategy.reduce(totals, reduce_op="sum")

    def configure_optimizers(self) -> dict:
        name, lr = self.optimizer_choice
        if name == "sgd":
            optimizer = torch.optim.SGD(self.parameters(), lr=lr)
        else:
            # The fused kernel updates all (dense) embedding rows per step several times faster.
            optimizer = torch.optim.Adam(self.parameters(), lr=lr, fused=True)
        schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=self.config.lr_decay)
        return {"optimizer": optimizer, "lr_scheduler": schedule}


def fuse(gmf: NeuMF, mlp: NeuMF, alpha: float = 0.5) -> NeuMF:
    """A NeuMF initialised from separately trained GMF and MLP towers (the paper's
    pre-training): their embeddings and layers, and an output layer weighing them
    ``alpha`` : ``1 - alpha``. It fine-tunes with plain SGD at ``finetune_lr``."""
    n_users, n_items = gmf.user_gmf.num_embeddings, gmf.item_gmf.num_embeddings
    n_age_groups = gmf.age.num_embeddings if gmf.age is not None else 1
    neumf = NeuMF(n_users, n_items, n_age_groups, gmf.config, "neumf", float(gmf.rating_mean))
    state = neumf.state_dict()
    for source, owned in (
        (gmf, ("user_gmf", "item_gmf")),
        (mlp, ("user_mlp", "item_mlp", "age", "gender", "mlp")),
    ):
        state |= {k: v for k, v in source.state_dict().items() if k.split(".")[0] in owned}
    state["user_age"], state["user_gender"] = gmf.user_age, gmf.user_gender
    state["output.weight"] = torch.cat(
        [alpha * gmf.output.weight, (1 - alpha) * mlp.output.weight], dim=1
    )
    state["output.bias"] = alpha * gmf.output.bias + (1 - alpha) * mlp.output.bias
    neumf.load_state_dict(state)
    neumf.optimizer_choice = ("sgd", gmf.config.finetune_lr)
    return neumf
