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
        decides activation, or None) and ``higher_is_better``; optionally ``reason`` (the text
        shown with a recommendation this engine contributed most to, when it gives none
        itself), ``fallback`` (an order: engines with one fill lists the mix leaves short,
        lowest first) and ``similar`` (an order: engines with one answer ``similarTracks``,
        lowest first).
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
def hz45_score(name: str, model: Any, context: UserContext, item_ids: Any) -> Any | None:
    """Score given tracks for a user: the mixer scores every candidate with every engine, and
    offline evaluation ranks held-out items with it.

    ``firstresult``: the plugin that owns ``name`` answers. A plugin without this hook is
    still mixed and evaluated from its :func:`hz45_recommend` answers.

    :param item_ids: an int64 array of track ids.
    :returns: a float array aligned with ``item_ids``, higher is better, NaN where the engine
        cannot tell; None if not ours.
    """


@hookspec(firstresult=True)
def hz45_item_annotations(name: str, model: Any) -> Any | None:
    """Per-track values a newly activated model wants stored with the catalog.

    Called after a version of ``name`` becomes active. ``firstresult``.

    :returns: a DataFrame with ``item_id`` and any of ``pca_x``, ``pca_y``, ``gmm_cluster``
        (stored in ``audio_features``), or None.
    """


@hookspec(firstresult=True)
def hz45_similar_items(name: str, model: Any, item_id: int, k: int) -> ScoredItems | None:
    """The ``k`` tracks most similar to ``item_id``.

    ``firstresult``: the plugin that owns ``name`` answers.

    :returns: track ids with similarity scores (empty if unsupported); None if not ours.
    """


@hookspec(firstresult=True)
def hz45_tune(name: str, data: TrainingData, grid: dict[str, list[Any]] | None, params: dict[str, Any],
              folds: int) -> dict[str, Any] | None:
    """Grid-search ``name``'s hyper-parameters on ``data`` with ``folds``-fold cross-validation.

    ``grid`` maps parameters to candidate values (None: the engine's own default grid); the
    others come from ``params``. ``firstresult``: the plugin that owns ``name`` answers, if it
    supports tuning (its description says ``tunable``).

    :returns: ``{"params": best values, <metric>: ...}``, or None if not ours or not tunable.
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
