#!/usr/bin/env bash
# Install into .venv (skipped when nothing changed since the last install) and start the demo on
# embedded SQLite at localhost:8000. Arguments go to `hz45 demo` (e.g. --port 8001).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/hz45 demo "$@"
