"""engines/ stays pure: no database, web, plugin or job code (STYLE rule 1), and no pickle.

Every ``.py`` file under ``engines/`` is checked from its syntax tree, so new modules are
covered without being listed; one fresh interpreter then imports them all to catch
indirect imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ROOT / "engines"
FORBIDDEN = {
    "sqlmodel", "sqlalchemy", "alembic", "psycopg", "starlette", "strawberry", "uvicorn",
    "pluggy", "rq", "redis", "api", "plugins", "jobs", "hz45",
}  # fmt: skip
# Stored models are data (STYLE): loading a pickle runs whatever code it names.
PICKLERS = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}
SOURCES = sorted(ENGINES.rglob("*.py"))
BEYOND = "<beyond the top-level package>"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Absolute names of everything ``source`` (the code of ``module``) imports."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level > len(package):
                names.add(BEYOND)  # fails at import time anyway
                continue
            base = package[: len(package) - node.level + 1] if node.level else []
            if not node.module:  # ``from . import x``: x may be a module
                names.update(".".join([*base, alias.name]) for alias in node.names)
            names.add(".".join([*base, *([node.module] if node.module else [])]))
    return names


def forbidden_in(names: set[str]) -> set[str]:
    return {name for name in names if name.split(".")[0] in FORBIDDEN}


def test_checker_resolves_absolute_and_relative_imports():
    source = (
        "import numpy, sqlmodel\n"
        "from api.db import session\n"
        "from ..plugins import manager\n"
        "from . import base\n"
        "def later():\n    import pluggy\n"
    )
    names = imported_modules(source, "engines.ncf.probe")
    assert {"numpy", "engines.ncf", "engines.ncf.base"} <= names
    assert forbidden_in(names) == {"sqlmodel", "api.db", "pluggy"}
    assert "engines.plugins" in names
    assert BEYOND in imported_modules("from ..api import db", "engines.probe")
    assert "engines.ncf.data" in imported_modules("from .data import x", "engines.ncf", True)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_nothing_forbidden(path):
    names = imported_modules(path.read_text(), module_name(path), path.name == "__init__.py")
    assert not forbidden_in(names)
    assert BEYOND not in names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_does_not_pickle(path):
    names = imported_modules(path.read_text(), module_name(path), path.name == "__init__.py")
    assert not {name for name in names if name.split(".")[0] in PICKLERS}


def test_importing_every_engine_loads_nothing_forbidden():
    modules = [module_name(path) for path in SOURCES]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not FORBIDDEN & set(run.stdout.split())
