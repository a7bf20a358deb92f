"""Fitting the learned mix through the recommender hooks (any installed engine can be a member).

The members are trained on the training data minus a held-out slice (each sampled user's
latest interaction); for each held-out user the candidates are the held-out item, sampled
items the user never touched and the members' own top picks, scored by every member; the
blend (:class:`engines.blend.LearnedBlend`) learns weights that put the held-out item first.
The members that are served with the blend are the ones trained on everything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pluggy

from engines.base import TrainingData
from engines.blend import BlendParams, LearnedBlend, holdout_slice, popularity_counts
from engines.evaluation import context_builder
from plugins.engine_calls import recommend_items, score_items

log = logging.getLogger("hz45.plugins.learned")


@dataclass
class LearnedMixSettings:
    """How the blend is fitted: held-out users, negatives and members' top picks per list."""

    users: int = 2000
    negatives: int = 99
    top_picks: int = 0
    seed: int = 0


Trainer = Callable[[str, TrainingData], Any]


def fit_learned_mix(
    manager: pluggy.PluginManager,
    names: list[str],
    data: TrainingData,
    train: Trainer,
    settings: LearnedMixSettings | None = None,
    prior: Mapping[str, float] | None = None,
) -> LearnedBlend:
    """Fit a blend of the engines ``names`` on a held-out slice of ``data``.

    ``train(name, data)`` returns a fitted model of ``name`` (the caller decides parameters
    and caching). Members that fail to train are left out; at least one must remain.
    ``prior``: the fixed mix's weights, where the search starts (see :meth:`LearnedBlend.fit`).
    """
    settings = settings or LearnedMixSettings()
    held = holdout_slice(data, settings.users, settings.seed)
    if not len(held.user_ids):
        raise ValueError("the learned mix needs users with 3 or more interactions")
    models = {}
    for name in names:
        started = time.perf_counter()
        try:
            models[name] = train(name, held.train)
        except Exception as exc:  # a member that cannot learn from this data is left out
            log.warning("learned mix: %s left out (%s: %s)", name, type(exc).__name__, exc)
            continue
        log.info("learned mix: %s trained on the held-out split in %.1fs", name, time.perf_counter() - started)
    if not models:
        raise ValueError("no member of the learned mix could be trained")
    blend = LearnedBlend(list(models), *popularity_counts(data))
    contexts = context_builder(held.train)
    catalog = np.union1d(data.items["item_id"].to_numpy(np.int64), held.positives)
    rng = np.random.default_rng(settings.seed)
    lists = []
    started = time.perf_counter()
    for done, (user, positive) in enumerate(zip(held.user_ids.tolist(), held.positives.tolist(), strict=True)):
        context = contexts(user)
        seen = held.seen[user]
        pool = np.setdiff1d(catalog, seen, assume_unique=False)
        negatives = rng.choice(pool, size=min(settings.negatives, len(pool)), replace=False)
        picks = [recommend_items(manager, name, model, context, settings.top_picks, seen).item_ids
                 for name, model in models.items()]  # fmt: skip
        others = np.setdiff1d(np.concatenate([negatives, *picks]), [positive])
        candidates = np.concatenate([[positive], others]).astype(np.int64)
        scores = {name: score_items(manager, name, model, context, candidates) for name, model in models.items()}
        labels = np.zeros(len(candidates))
        labels[0] = 1.0
        lists.append((blend.features(scores, candidates), labels))
        if (done + 1) % max(1, len(held.user_ids) // 5) == 0:
            log.info("learned mix: scored %d/%d held-out users (%.1fs)", done + 1, len(held.user_ids),
                     time.perf_counter() - started)  # fmt: skip
    blend.fit(lists, BlendParams(seed=settings.seed), prior=prior)
    blend.metrics |= {"blend_users": float(len(lists))}
    log.info("learned mix of %s fitted: %s", ", ".join(models), blend.metrics)
    return blend
