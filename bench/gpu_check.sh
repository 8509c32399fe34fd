#!/usr/bin/env bash
# Sets podium up on a bare GPU machine (Python 3.12 with torch, torchvision, numpy, opencv, pandas
# and scipy; no network) from a carried wheel folder, then runs bench/gpu_check.py.
#
#   bash bench/gpu_check.sh [gpu_check.py options]     e.g. --out "$OUT/gpu_check.json"
#
# 1. a venv with --system-site-packages (the machine's torch & co. stay as they are) and no pip
#    of its own; where the machine's python3 is itself a venv, whose packages a venv made from it
#    does not see, its site-packages are added by a .pth file. Where no venv can be made, a
#    --target folder on PYTHONPATH instead.
# 2. pip install --no-index --no-deps of DIR/requirements.txt (bash bench/gpu_wheels.sh built
#    DIR): mmcv-lite, so nothing is compiled; nms / RoIAlign run on torchvision's CUDA kernels.
# 3. podium from this checkout through PYTHONPATH (nothing to build), then the check.
# Prints setup, check and total seconds (the budget is 8 minutes for all of it).
#
# Environment: PODIUM_WHEELS (default <repo>/wheels-gpu), PODIUM_GPU_VENV (default
# /tmp/podium-gpu-venv), PYTHON (default python3: the machine's interpreter with torch),
# PODIUM_CHECK_LIMIT_S (default 400: gpu_check.py is stopped after it).
set -euo pipefail

T0=$SECONDS
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEELS="${PODIUM_WHEELS:-$ROOT/wheels-gpu}"
VENV="${PODIUM_GPU_VENV:-/tmp/podium-gpu-venv}"
PYTHON="${PYTHON:-python3}"
CHECK_LIMIT="${PODIUM_CHECK_LIMIT_S:-400}"  # seconds for gpu_check.py (the 8-minute budget)
say() { printf '[gpu_check.sh %4ds] %s\n' "$((SECONDS - T0))" "$*"; }

[ -f "$WHEELS/requirements.txt" ] || {
  echo "[gpu_check.sh] no wheel folder at $WHEELS: build it with 'bash bench/gpu_wheels.sh'" \
    "where PyPI is reachable, and carry it (docs/benchmarks.md, GPU check)" >&2; exit 2; }
"$PYTHON" -c 'import torch, torchvision, numpy, cv2, pandas, scipy' || {
  echo "[gpu_check.sh] $PYTHON lacks torch/torchvision/numpy/opencv/pandas/scipy: set PYTHON" >&2
  exit 2; }
say "host: $("$PYTHON" -c 'import sys, torch; print(sys.executable, sys.version.split()[0],
  "torch", torch.__version__, "cuda", torch.cuda.is_available())')"

# ---------------------------------------------------------------- 1. environment
PIP_OPTS=(--disable-pip-version-check -q --no-index --no-deps --no-compile --find-links "$WHEELS")
if "$PYTHON" -m venv --system-site-packages --without-pip "$VENV" 2>/dev/null; then
  PY="$VENV/bin/python"
  SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  # the host interpreter's site folders, with their own .pth files, after the venv's own
  "$PYTHON" -c 'import site, sys
for p in sys.path:
    if p.endswith(("site-packages", "dist-packages")):
        print(f"import site; site.addsitedir({p!r})")' >"$SITE/_podium_host.pth"
  "$PY" -c 'import torch' || { echo "[gpu_check.sh] the venv does not see the host's torch" >&2
    exit 1; }
  say "venv $VENV (system site-packages: $("$PY" -c 'import torch; print(torch.__file__)'))"
  INSTALL=("$PY" -m pip install "${PIP_OPTS[@]}")  # the host's pip, installing into the venv
  EXTRA_PATH=""
else
  PY="$PYTHON"
  SITE="$VENV/site"
  say "no venv possible with $PYTHON: installing into $SITE (PYTHONPATH)"
  INSTALL=("$PY" -m pip install "${PIP_OPTS[@]}" --upgrade --target "$SITE")
  EXTRA_PATH="$SITE:"
fi

# ---------------------------------------------------------------- 2. podium's other needs
say "pip install --no-index $(grep -cv '^#' "$WHEELS/requirements.txt") wheels from $WHEELS"
"${INSTALL[@]}" -r "$WHEELS/requirements.txt"

# ---------------------------------------------------------------- 3. podium, then the check
export PYTHONPATH="${EXTRA_PATH}$ROOT${PYTHONPATH:+:$PYTHONPATH}"
(cd "$ROOT" && "$PY" -c 'import custom_modules; custom_modules.print_stack()') || {
  echo "[gpu_check.sh] podium does not import in this environment (see above)" >&2; exit 1; }
SETUP=$((SECONDS - T0))
say "setup done in ${SETUP} s; running bench/gpu_check.py $*"
rc=0
# a hung check still leaves its JSON (written after each case) and the time line below
(cd "$ROOT" && PYTHONUNBUFFERED=1 timeout -k 10 "$CHECK_LIMIT" "$PY" bench/gpu_check.py "$@") || rc=$?
say "setup ${SETUP} s + check $((SECONDS - T0 - SETUP)) s = total $((SECONDS - T0)) s" \
  "(budget 480 s); gpu_check.py exit status $rc"
exit "$rc"
