"""The hooks a recommender plugin implements (SPEC §4).

Every recommender — the four built-ins and any third-party one found through the entry-point
group ``hz45.recommenders`` — implements these hooks. Hooks that act on one recommender take
its ``name`` and answer ``None`` when the name is not theirs; they are ``firstresult`` so the
first plugin that owns the name answers. Built-ins are ``trylast``, so an installed plugin
that registers the same name overrides them.
"""

from __future__ import annotations

from typing import Any

import pluggy

from engines.base import ScoredItems, TrainingData, UserContext

PROJECT = "hz45"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def hz45_describe_recommenders() -> list[dict[str, Any]]:
    """Describe the recommenders this plugin provides.

    :returns: a list of dicts with ``name``, ``version``, ``description``, ``needs`` (a subset
        of ``ratings``, ``plays``, ``users``, ``items``), ``metric`` (the validation metric that
        decides activation, or None) and ``higher_is_better``.
    """


@hookspec(firstresult=True)
def hz45_train(name: str, data: TrainingData, params: dict[str, Any]) -> Any | None:
    """Train recommender ``name`` on a training snapshot.

    ``firstresult``: the plugin that owns ``name`` answers.

    :param name: the recommender to train.
    :param data: the snapshot (ratings, plays, users, items).
    :param params: hyper-parameters from configuration.
    :returns: the fitted model (any object the other hooks accept), or None if not ours.
    """


@hookspec(firstresult=True)
def hz45_model_metrics(name: str, model: Any) -> dict[str, float] | None:
    """Validation metrics of a fitted model (recorded with its version).

    ``firstresult``: the plugin that owns ``name`` answers.

    :returns: metric name to value, or None if not ours.
    """


@hookspec(firstresult=True)
def hz45_recommend(
    name: str, model: Any, context: UserContext, k: int, exclude: Any
) -> ScoredItems | None:
    """Score candidates for a user.

    ``firstresult``: the plugin that owns ``name`` answers.

    :param model: a model returned by :func:`hz45_train` or :func:`hz45_load_model`.
    :param context: what is known about the user (demographics, recent plays, seeds).
    :param k: how many candidates the mixer wants at most.
    :param exclude: an array of track ids not to return.
    :returns: track ids with scores (best first) and reasons; empty when the engine has
        nothing for this user; None if not ours.
    """


@hookspec(firstresult=True)
def hz45_similar_items(name: str, model: Any, item_id: int, k: int) -> ScoredItems | None:
    """The ``k`` tracks most similar to ``item_id``.

    ``firstresult``: the plugin that owns ``name`` answers.

    :returns: track ids with similarity scores (empty if unsupported); None if not ours.
    """


@hookspec(firstresult=True)
def hz45_save_model(name: str, model: Any) -> bytes | None:
    """Serialise a fitted model into an artifact any machine can load.

    ``firstresult``: the plugin that owns ``name`` answers.

    :returns: the artifact bytes, or None if not ours.
    """


@hookspec(firstresult=True)
def hz45_load_model(name: str, blob: bytes) -> Any | None:
    """Load a model from artifact bytes written by :func:`hz45_save_model`.

    ``firstresult``: the plugin that owns ``name`` answers.

    :returns: the model, or None if not ours.
    """
