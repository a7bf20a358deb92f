"""Imports flow one way (docs/architecture.md): the import-linter contracts of pyproject.toml.

The contracts run on the project itself, and on a tiny tree with one upward import each, so a
contract that stopped catching anything would fail too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = ("hz45", "api", "jobs", "domain", "plugins", "engines")


def lint_imports(root: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(config), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_project_keeps_every_import_contract():
    result = lint_imports(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().split("contracts:")[-1].replace("0 broken", "")


def _tree(tmp_path: Path, imports: dict[str, str]) -> Path:
    """Packages named like the layers, each importing what ``imports`` says; the real contracts."""
    for package in LAYERS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(imports.get(package, ""))
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    config = tmp_path / ".importlinter"
    lines = ["[importlinter]", "root_packages =", *[f"    {p}" for p in contracts["root_packages"]],
             "include_external_packages = True", ""]
    for i, contract in enumerate(contracts["contracts"]):
        lines.append(f"[importlinter:contract:{i}]")
        for key, value in contract.items():
            lines.append(f"{key} =" + ("".join(f"\n    {v}" for v in value) if isinstance(value, list) else f" {value}"))
        lines.append("")
    config.write_text("\n".join(lines))
    return config


@pytest.mark.parametrize(("package", "statement", "message"), [
    ("engines", "import api\n", "engines is not allowed to import api"),
    ("engines", "import sqlalchemy\n", "engines is not allowed to import sqlalchemy"),
    ("plugins", "import domain\n", "plugins is not allowed to import domain"),
    ("domain", "import jobs\n", "domain is not allowed to import jobs"),
    ("domain", "import strawberry\n", "domain is not allowed to import strawberry"),
    ("api", "import jobs\n", "api is not allowed to import jobs"),
    ("jobs", "import api\n", "jobs is not allowed to import api"),
    ("api", "import hz45\n", "api is not allowed to import hz45"),
])
def test_an_upward_import_breaks_a_contract(tmp_path, package, statement, message):
    config = _tree(tmp_path, {package: statement})
    result = lint_imports(tmp_path, config)
    assert result.returncode != 0
    assert message in " ".join(result.stdout.split())


def test_downward_imports_keep_the_contracts(tmp_path):
    config = _tree(tmp_path, {"hz45": "import api, jobs\n", "api": "import domain, plugins, engines\n",
                              "jobs": "import domain, engines\n", "domain": "import plugins\n",
                              "plugins": "import engines\n"})
    result = lint_imports(tmp_path, config)
    assert result.returncode == 0, result.stdout
