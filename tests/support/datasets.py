"""Where the shared public datasets live, a path to one that skips the test when it is absent, and
the small synthetic fixtures in their formats (``tests/fixtures``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Where the shared public datasets live (HZ45_DATA_DIR or ../shared/data)."""
    return Path(os.environ.get("HZ45_DATA_DIR", ROOT.parent / "shared" / "data"))


def require_data(relative: str) -> Path:
    """The path of a shared dataset file, or skip the test when it is absent."""
    path = data_dir() / relative
    if not path.exists():
        pytest.skip(f"dataset not available: {path}")
    return path


def fixture_dir(name: str) -> Path:
    """A folder of ``tests/fixtures``: small synthetic files in a public dataset's own layout."""
    return ROOT / "tests" / "fixtures" / name
