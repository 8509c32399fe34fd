#!/usr/bin/env bash
# podium's test command: the linter (ruff) and then the test suite (pytest).
# Arguments go to pytest, e.g. `bash tests/run.sh -m "not slow"` or `bash tests/run.sh -x tests/tools`.
# `-m "not slow"` leaves out every end-to-end run (train.sh / inference.sh, benchmarks, CLIs in
# subprocesses, real trainings): a few minutes on 2 CPU cores; the whole suite takes longer.
# The tests run in PODIUM_TEST_WORKERS processes (pytest-xdist, default 2, one file per process
# so a module's trained fixtures are made once); PODIUM_TEST_WORKERS=0 runs them in this process
# (for -s or a debugger).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-.venv/bin/python}"
echo "== ruff check ."
"$PY" -m ruff check .
echo "== pytest $*"
# pytest exits 5 when it collected no test: that is a failure here too (set -e).
"$PY" -m pytest -n "${PODIUM_TEST_WORKERS:-2}" --dist loadfile --durations=15 "$@"
