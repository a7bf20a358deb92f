"""A third-party recommender plugin written to disk: a module and a dist-info in the ``hz45.recommenders``
entry-point group (it recommends random tracks)."""

from __future__ import annotations

from pathlib import Path

RANDOM_PLUGIN = '''
"""A recommender that recommends random tracks (a third-party plugin for tests)."""
import numpy as np
from engines.base import ScoredItems
from plugins.hookspecs import hookimpl

NAME = "{name}"


@hookimpl
def hz45_describe_recommenders():
    return [{{"name": NAME, "version": "0.1", "description": "random tracks", "needs": ["items"],
             "metric": None, "higher_is_better": False}}]


@hookimpl
def hz45_train(name, data):
    if name != NAME:
        return None
    return {{"items": np.sort(data.items["item_id"].to_numpy())}}


@hookimpl
def hz45_model_metrics(name, model):
    return {{}} if name == NAME else None


@hookimpl
def hz45_recommend(name, model, context, k, exclude):
    if name != NAME:
        return None
    rng = np.random.default_rng(context.user_id or 0)
    items = model["items"][~np.isin(model["items"], exclude)]
    chosen = rng.permutation(items)[:k]
    return ScoredItems(chosen, np.linspace(1, 0, len(chosen)), reason="picked at random")


@hookimpl
def hz45_save_model(name, model):
    return model["items"].tobytes() if name == NAME else None


@hookimpl
def hz45_load_model(name, blob):
    return {{"items": np.frombuffer(blob, dtype=np.int64)}} if name == NAME else None
'''


def install_plugin(directory: Path, module: str, name: str) -> None:
    """Write a module and a dist-info whose entry point is in the ``hz45.recommenders`` group."""
    (directory / f"{module}.py").write_text(RANDOM_PLUGIN.format(name=name))
    dist = directory / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[hz45.recommenders]\n{name} = {module}\n")
