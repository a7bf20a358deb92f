#!/usr/bin/env bash
# Create .venv and install 4.5Hz with its dependencies (torch first, from the CPU build).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip setuptools wheel
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[dev,bench]"
