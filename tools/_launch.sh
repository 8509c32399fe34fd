# Sourced by the dist_*/slurm_* launchers: picks the interpreter and the repo root.
# PYTHON overrides; otherwise the repo's .venv, otherwise python3 on PATH.
PODIUM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$PODIUM_ROOT/.venv/bin/python" ]; then
    PYTHON="$PODIUM_ROOT/.venv/bin/python"
  else
    PYTHON="python3"
  fi
fi
export PYTHONPATH="$PODIUM_ROOT${PYTHONPATH:+:$PYTHONPATH}"
