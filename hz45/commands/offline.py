"""Shared pieces of the offline commands (evaluate, tune): datasets and engine factories."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from engines.base import Engine
    from engines.datasets import LoadedDataset


def load_offline_dataset(spec: str) -> LoadedDataset:
    """``db`` (this database) or ``KIND:PATH`` for an external dataset."""
    from domain.db import create_db_engine
    from domain.recommendations.training_data import load_snapshot
    from domain.settings import get_settings
    from engines.datasets import LOADERS, LoadedDataset, load_dataset

    kind, _, path = spec.partition(":")
    if kind == "db":
        engine = create_db_engine(get_settings().database_url)
        try:
            return LoadedDataset("db", load_snapshot(engine))
        finally:
            engine.dispose()
    if kind not in LOADERS:
        raise click.BadParameter(f"unknown dataset kind {kind!r}; expected db or one of {', '.join(sorted(LOADERS))}",
                                 param_hint="--dataset")
    if not path:
        raise click.BadParameter(f"{kind} needs a folder: {kind}:PATH", param_hint="--dataset")
    return load_dataset(kind, path)


def engine_factory(name: str) -> Callable[[], Engine]:
    """A factory of fresh engines ``name`` configured from settings (offline evaluation needs
    an engine's ``score``, which every engine adapted by :class:`EnginePlugin` has)."""
    from domain.settings import get_settings
    from plugins.engine_plugin import EnginePlugin
    from plugins.manager import get_plugin_manager

    manager = get_plugin_manager()
    plugins = [p for p in manager.get_plugins() if isinstance(p, EnginePlugin) and p.name == name]
    if not plugins:
        installed = sorted({p.name for p in manager.get_plugins() if isinstance(p, EnginePlugin)})
        raise click.BadParameter(f"no evaluable engine {name!r}; installed: {', '.join(installed)}",
                                 param_hint="--engine")
    plugin = next((p for p in plugins if not p.builtin), plugins[0])
    params = get_settings().recommenders.engines.get(name, {})
    return lambda: plugin.engine_class(params)


def mix_label(spec: str) -> str:
    """The row name of ``--mix SPEC`` in evaluation output."""
    return "mix:" + spec.strip()


def mix_factory(spec: str) -> Callable[[], Any]:
    """A factory of fresh, unfitted mixes for ``--mix SPEC`` (``NAME=W,NAME=W``)."""
    from engines.evaluation import Mix

    parts = parse_mix(spec)
    return lambda: Mix([(engine_factory(n), w) for n, w in parts])


def parse_mix(spec: str) -> list[tuple[str, float]]:
    """``svd=1,ncf=0.5`` → ``[("svd", 1.0), ("ncf", 0.5)]``."""
    parts = []
    for chunk in spec.split(","):
        name, _, weight = chunk.partition("=")
        try:
            value = float(weight)
        except ValueError:
            raise click.BadParameter(f"expected NAME=WEIGHT, got {chunk!r}", param_hint="--mix") from None
        if value < 0:
            raise click.BadParameter(f"weight of {name} must be non-negative", param_hint="--mix")
        parts.append((name.strip(), value))
    return parts
