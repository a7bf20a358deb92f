"""Shared pieces of the offline commands (evaluate, tune): datasets and engine factories."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from engines.datasets import LoadedDataset
    from plugins.offline import FitCache


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


@functools.cache
def _fit_cache() -> FitCache:
    """One cache of fitted engines per evaluation run (the CLI process)."""
    from domain.settings import get_settings
    from plugins.manager import get_plugin_manager
    from plugins.offline import FitCache

    engines = get_settings().recommenders.engines
    return FitCache(get_plugin_manager(), lambda name: engines.get(name, {}))


def set_seed(seed: int) -> None:
    """Seed the engines of this run (those that take a ``seed`` parameter) and the learned mix."""
    _fit_cache().seed = seed


def _check_installed(names: list[str], hint: str) -> None:
    from plugins.manager import describe

    installed = describe(_fit_cache().manager)
    for name in names:
        if name not in installed:
            raise click.BadParameter(f"no installed engine {name!r}; installed: {', '.join(sorted(installed))}",
                                     param_hint=hint)


def engine_factory(name: str) -> Callable[[], Any]:
    """A factory of unfitted scorers of the installed engine ``name`` (configured from settings)."""
    from plugins.offline import EngineScorer

    _check_installed([name], "--engine")
    return lambda: EngineScorer(_fit_cache(), name)


def mix_label(spec: str) -> str:
    """The row name of ``--mix SPEC`` in evaluation output."""
    return "mix:" + spec.strip()


def mix_factory(spec: str) -> Callable[[], Any]:
    """A factory of unfitted mixes for ``--mix SPEC``: ``default`` (the configured default mix),
    ``learned`` (the learned mix of the configured members) or ``NAME=W,NAME=W``."""
    from domain.settings import get_settings
    from plugins.offline import LearnedMixScorer, MixScorer

    config = get_settings().recommenders
    spec = spec.strip()
    if spec == "learned":
        names = config.learned_mix_members()
        _check_installed(names, "--mix")
        return lambda: LearnedMixScorer(_fit_cache(), names, prior=config.learned_mix_prior())
    parts = [(e.engine, e.weight) for e in config.default_mix] if spec == "default" else parse_mix(spec)
    _check_installed([name for name, _ in parts], "--mix")
    return lambda: MixScorer(_fit_cache(), parts)


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
