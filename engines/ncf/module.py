"""NeuMF (He et al., 2017) as a LightningModule, with the deck's age-group and gender
embeddings feeding the MLP tower.

``implicit`` objective: a logit per (user, item), binary cross-entropy against sampled
negatives, validated by leave-one-out HR/NDCG. ``rating`` objective: a predicted rating
(mean + output), mean squared error, validated by RMSE/MAE.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class NeuMF(pl.LightningModule):
    """GMF and MLP towers over user/item embeddings, fused by one linear output layer."""

    def __init__(
        self,
        n_users: int,
        n_items: int,
        n_age_groups: int,
        n_genders: int,
        gmf_dim: int = 16,
        mlp_dim: int = 32,
        demo_dim: int = 5,
        layers: Sequence[int] = (64, 32, 16),
        objective: str = "implicit",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        lr_decay: float = 1.0,
        dropout: float = 0.0,
        embedding_l2: float = 0.0,
        rating_mean: float = 0.0,
        val_k: int = 10,
    ) -> None:
        super().__init__()
        if objective not in ("implicit", "rating"):
            raise ValueError(f"unknown objective {objective!r}; expected implicit or rating")
        self.objective, self.lr, self.weight_decay, self.lr_decay = (
            objective,
            lr,
            weight_decay,
            lr_decay,
        )
        self.embedding_l2, self.val_k = embedding_l2, val_k
        self.user_gmf, self.item_gmf = (
            nn.Embedding(n_users, gmf_dim),
            nn.Embedding(n_items, gmf_dim),
        )
        self.user_mlp, self.item_mlp = (
            nn.Embedding(n_users, mlp_dim),
            nn.Embedding(n_items, mlp_dim),
        )
        self.age = nn.Embedding(n_age_groups, demo_dim) if demo_dim else None
        self.gender = nn.Embedding(n_genders, demo_dim) if demo_dim else None
        # Demographics per user index travel with the weights, so scoring needs only the ids.
        self.register_buffer("user_age", torch.zeros(n_users, dtype=torch.long))
        self.register_buffer("user_gender", torch.zeros(n_users, dtype=torch.long))
        self.register_buffer("rating_mean", torch.tensor(float(rating_mean)))
        sizes = [2 * mlp_dim + (2 * demo_dim if demo_dim else 0), *layers]
        tower: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            tower += [nn.Dropout(dropout)] if dropout else []
            tower += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.mlp = nn.Sequential(*tower)
        self.output = nn.Linear(gmf_dim + sizes[-1], 1)
        self._init_weights()
        self._val_outputs: list[torch.Tensor] = []

    def _init_weights(self) -> None:
        for embedding in (
            self.user_gmf,
            self.item_gmf,
            self.user_mlp,
            self.item_mlp,
            self.age,
            self.gender,
        ):
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
        gmf = self.user_gmf(users) * self.item_gmf(items)
        parts = [self.user_mlp(users), self.item_mlp(items)]
        if self.age is not None and self.gender is not None:
            parts += [self.age(self.user_age[users]), self.gender(self.user_gender[users])]
        mlp = self.mlp(torch.cat(parts, dim=-1))
        return self.output(torch.cat([gmf, mlp], dim=-1)).squeeze(-1) + self.rating_mean

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        users, items, targets = batch
        predicted = self(users, items)
        if self.objective == "implicit":
            loss = F.binary_cross_entropy_with_logits(predicted, targets)
        else:
            loss = F.mse_loss(predicted, targets)
        if self.embedding_l2:
            loss = loss + self.embedding_l2 * self._squared_norms(users, items)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(users))
        return loss

    def _squared_norms(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Mean squared norm of the batch's user and item embeddings (L2 on rows in use)."""
        rows = [self.user_gmf(users), self.item_gmf(items), self.user_mlp(users), self.item_mlp(items)]
        return sum(row.square().sum(dim=-1) for row in rows).mean()

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        if self.objective == "implicit":
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
        if self.objective == "implicit":
            hits = values < self.val_k
            self.log("val_hr", hits.float().mean())
            self.log("val_ndcg", torch.where(hits, 1.0 / torch.log2(values + 2.0), 0.0).mean())
        else:
            self.log("val_rmse", values.square().mean().sqrt())
            self.log("val_mae", values.abs().mean())

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=self.lr_decay)
        return {"optimizer": optimizer, "lr_scheduler": schedule}
