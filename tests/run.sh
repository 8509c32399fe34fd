#!/usr/bin/env bash
# podium's test command: the linter (ruff) and then the test suite (pytest).
# Arguments go to pytest, e.g. `bash tests/run.sh -m "not slow"` or `bash tests/run.sh -x tests/tools`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-.venv/bin/python}"
echo "== ruff check ."
"$PY" -m ruff check .
echo "== pytest $*"
# pytest exits 5 when it collected no test: that is a failure here too (set -e).
"$PY" -m pytest "$@"
