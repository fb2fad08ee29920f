#!/usr/bin/env bash
# Refresh constraints.txt: install the newest release of every dependency the version ranges in
# pyproject.toml allow into a new virtual environment, run the test suite there, and rewrite
# constraints.txt only if it passes. Review `git diff constraints.txt`, then commit it.
#
#   bash tools/refresh_lock.sh            # VENV=/path/to/venv to choose where it is built
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv-lock}"
python3 -m venv --clear "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q --upgrade --upgrade-strategy eager -e ".[dev]"
"$VENV/bin/python" tools/versions.py
HF_HUB_OFFLINE=1 "$VENV/bin/python" -m pytest -q -p no:cacheprovider
"$VENV/bin/python" tools/lock.py -o constraints.txt
git diff --stat -- constraints.txt
