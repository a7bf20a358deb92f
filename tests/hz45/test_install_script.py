"""scripts/install.sh installs once per pyproject.toml and install script, and says what it does.

The script runs on a copy of the repository's two files in a temporary folder, with a fake
``python`` that records its arguments instead of installing anything.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Records each call; `-m venv DIR` makes DIR/bin/python (this same script) and DIR/bin/hz45;
# a pip call fails when FAIL_PIP is set.
FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$CALLS"
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && printf '#!/bin/sh\\n' > "$3/bin/hz45" && chmod +x "$3/bin/hz45"
fi
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "pip" ] && [ -n "${FAIL_PIP:-}" ]; then exit 1; fi
exit 0
"""


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A folder holding scripts/install.sh and pyproject.toml, and a fake interpreter outside it."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "install.sh", repo / "scripts" / "install.sh")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    python = tmp_path / "python3"
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return repo


def install(repo: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    calls = repo.parent / "calls.txt"
    calls.unlink(missing_ok=True)
    inherited = {k: v for k, v in os.environ.items() if k != "HZ45_REINSTALL"}
    environment = {**inherited, "PYTHON": str(repo.parent / "python3"), "CALLS": str(calls), **env}
    result = subprocess.run(["bash", str(repo / "scripts" / "install.sh")], env=environment,
                            capture_output=True, text=True, timeout=60)
    return result, calls.read_text().splitlines() if calls.exists() else []


def pip_calls(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("-m pip install")]


def test_a_fresh_checkout_gets_the_full_install_with_a_line_per_phase(checkout):
    result, calls = install(checkout)
    assert result.returncode == 0, result.stderr
    assert "-m venv .venv" in calls
    assert pip_calls(calls) == ["-m pip install -qq --upgrade pip setuptools wheel",
                                "-m pip install -qq torch==2.13.0", "-m pip install -qq -e .[dev,bench]"]
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines if "/3]" in line] == ["[1/3]", "[2/3]", "[3/3]"]
    assert all(line.startswith("install: ") for line in lines) and "done in" in lines[-1]
    assert (checkout / ".venv" / ".hz45-install-stamp").is_file()


def test_a_second_run_installs_nothing(checkout):
    install(checkout)
    result, calls = install(checkout)
    assert result.returncode == 0
    assert pip_calls(calls) == []
    assert result.stdout.strip() == ("install: .venv is up to date (pyproject.toml and scripts/install.sh "
                                     "unchanged); nothing to install")


@pytest.mark.parametrize("changed", ["pyproject.toml", "scripts/install.sh"])
def test_a_changed_pyproject_or_script_installs_again(checkout, changed):
    install(checkout)
    with (checkout / changed).open("a") as handle:
        handle.write("\n# changed\n")
    result, calls = install(checkout)
    assert result.returncode == 0 and len(pip_calls(calls)) == 3
    assert not any(c.startswith("-m venv") for c in calls)  # the .venv is kept, only pip runs


def test_reinstall_is_forced_by_the_environment(checkout):
    install(checkout)
    _, calls = install(checkout, HZ45_REINSTALL="1")
    assert len(pip_calls(calls)) == 3


def test_a_failed_install_leaves_no_stamp_and_is_redone(checkout):
    install(checkout)
    with (checkout / "pyproject.toml").open("a") as handle:
        handle.write("\n# a new dependency\n")
    failed, _ = install(checkout, FAIL_PIP="1")
    assert failed.returncode != 0
    assert not (checkout / ".venv" / ".hz45-install-stamp").exists()
    _, calls = install(checkout)
    assert len(pip_calls(calls)) == 3


def test_a_venv_whose_interpreter_is_broken_is_installed_again(checkout):
    install(checkout)
    (checkout / ".venv" / "bin" / "python").write_text("#!/bin/sh\nexit 3\n")
    result, _ = install(checkout)
    assert "up to date" not in result.stdout
