#!/usr/bin/env bash
# Create .venv and install 4.5Hz with its dependencies (torch first, from the CPU build).
#
# A stamp inside .venv records the hash of pyproject.toml and of this script: when neither
# changed since the last complete install, nothing is installed again (the project itself is
# installed in editable mode, so code changes need no reinstall). HZ45_REINSTALL=1 forces it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
STAMP=.venv/.hz45-install-stamp

say() { printf 'install: %s\n' "$*"; }

wanted=$(cat pyproject.toml scripts/install.sh | sha256sum | cut -d' ' -f1)
if [ "${HZ45_REINSTALL:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] \
    && [ -x .venv/bin/hz45 ] && .venv/bin/python -c '' 2>/dev/null; then
  say ".venv is up to date (pyproject.toml and scripts/install.sh unchanged); nothing to install"
  exit 0
fi

started=$SECONDS
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $("$PY" --version 2>&1)"
  "$PY" -m venv .venv
fi
rm -f "$STAMP"  # an interrupted install must not look complete
# -qq: pip's errors only (its warnings about unused index locations drown the progress lines)
say "[1/3] pip, setuptools and wheel (about 10 s)"
.venv/bin/python -m pip install -qq --upgrade pip setuptools wheel
say "[2/3] torch 2.13.0, CPU build (the largest package: about a minute)"
.venv/bin/python -m pip install -qq "torch==2.13.0"
say "[3/3] 4.5Hz and its other dependencies (about 2 minutes)"
.venv/bin/python -m pip install -qq -e ".[dev,bench]"
echo "$wanted" >"$STAMP"
say "done in $((SECONDS - started)) s"
