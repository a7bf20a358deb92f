"""Plugin discovery: built-ins, a third-party plugin from the entry-point group, overrides."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

from engines.base import TrainingData, UserContext
from plugins import hookspecs
from plugins.manager import describe, get_plugin_manager
from tests.support.plugins import RANDOM_PLUGIN, install_plugin

BUILTINS = {"als", "content_gmm", "demographic_popular", "ease", "item_knn", "ncf", "similar_listeners", "svd"}


@pytest.fixture
def random_plugin(tmp_path, monkeypatch):
    install_plugin(tmp_path, "hz45_random_plugin", "random")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "random"


def test_builtins_are_described():
    described = describe(get_plugin_manager(entry_points=False))
    assert set(described) == BUILTINS
    assert all(info["builtin"] and info["description"] for info in described.values())


def test_third_party_plugin_is_discovered_through_the_entry_point_group(random_plugin):
    manager = get_plugin_manager()
    assert set(describe(manager)) == BUILTINS | {"random"}
    data = TrainingData(items=__import__("pandas").DataFrame({"item_id": np.arange(10, 20)}))
    model = manager.hook.hz45_train(name="random", data=data, params={})
    blob = manager.hook.hz45_save_model(name="random", model=model)
    loaded = manager.hook.hz45_load_model(name="random", blob=blob)
    scored = manager.hook.hz45_recommend(name="random", model=loaded, context=UserContext(user_id=3), k=4,
                                         exclude=np.array([10, 11]))
    assert len(scored) == 4 and not set(scored.item_ids) & {10, 11}


def test_an_installed_plugin_overrides_a_builtin_of_the_same_name(tmp_path, monkeypatch):
    install_plugin(tmp_path, "hz45_fake_svd", "svd")
    monkeypatch.syspath_prepend(str(tmp_path))
    manager = get_plugin_manager()
    assert describe(manager)["svd"]["description"] == "random tracks"
    data = TrainingData(items=__import__("pandas").DataFrame({"item_id": np.arange(5)}))
    model = manager.hook.hz45_train(name="svd", data=data, params={})
    assert isinstance(model, dict)  # the plugin's model, not the built-in SVD engine


def test_every_hookspec_is_documented_and_tested():
    specs = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("hz45_")]
    assert len(specs) == 10
    tests = Path(__file__).read_text() + Path(__file__).with_name("test_engine_plugin.py").read_text()
    tests += RANDOM_PLUGIN  # the third-party plugin these tests install (tests/support/plugins.py)
    for name in specs:
        doc = getattr(hookspecs, name).__doc__ or ""
        assert ":returns:" in doc, f"{name} lacks a :returns: line"
        assert name in tests, f"{name} has no test"
