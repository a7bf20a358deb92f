"""The plugin manager: hook specs, built-ins, and plugins from the ``hz45.recommenders`` group."""

from __future__ import annotations

import importlib
from typing import Any

import pluggy

from plugins import hookspecs
from plugins.builtin import BUILTIN_PLUGINS

ENTRY_POINT_GROUP = "hz45.recommenders"


class RecommenderManager(pluggy.PluginManager):
    """A pluggy manager whose built-in plugins run last (installed plugins override them)."""

    def parse_hookimpl_opts(self, plugin: Any, name: str):
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is not None and getattr(plugin, "builtin", False):
            opts = {**opts, "trylast": True}
        return opts


def get_plugin_manager(*, entry_points: bool = True, builtins: bool = True) -> RecommenderManager:
    """A fresh manager with the hook specs, the built-ins and the installed plugins."""
    manager = RecommenderManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    if builtins:
        for module_name in BUILTIN_PLUGINS:
            module = importlib.import_module(module_name)
            manager.register(module.plugin, name=module_name)
    if entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    manager.check_pending()
    return manager


def describe(manager: pluggy.PluginManager) -> dict[str, dict[str, Any]]:
    """Every installed recommender's description by name (an installed plugin wins over a built-in)."""
    described: dict[str, dict[str, Any]] = {}
    # Results come last-registered first; built-ins (trylast) come last, so keep the first seen.
    for batch in manager.hook.hz45_describe_recommenders():
        for info in batch:
            described.setdefault(info["name"], info)
    return described
