#!/usr/bin/env bash
# Install everything into .venv and start the demo on embedded SQLite at localhost:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/hz45 demo "$@"
