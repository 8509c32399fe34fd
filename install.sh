#!/usr/bin/env bash
# Sets up podium on this machine: .venv/ with the pinned OpenMMLab stack.
#
# Idempotent: each stage records a stamp and is skipped when its inputs did not change, so a
# second run finishes in seconds. mmcv 2.1.0 has no wheel for torch 2.14, so it is built once
# from its PyPI sdist (C++20, ops compiled) and the wheel is kept in a cache outside the repo.
#
# Environment:
#   PYTHON          interpreter for the venv (default: python3; the lock is made for 3.11)
#   PODIUM_VENV     venv location (default: <repo>/.venv)
#   PODIUM_CACHE    wheel cache (default: ${XDG_CACHE_HOME:-~/.cache}/podium)
#   FORCE_CUDA=1/0  build mmcv's CUDA ops (default: only when a CUDA GPU and nvcc are present)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${PODIUM_VENV:-$ROOT/.venv}"
CACHE="${PODIUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/podium}"
LOG_DIR="$ROOT/work_dirs/install"
LOCK="$ROOT/requirements/lock.txt"
MMCV_VERSION="2.1.0"
mkdir -p "$LOG_DIR" "$CACHE/wheels"

T0=$SECONDS
STAGE="start"
STAGE_LOG="$LOG_DIR/install.log"
stage() {  # stage NAME: announce a stage and point its log
  STAGE="$1"
  STAGE_LOG="$LOG_DIR/$1.log"
  printf '[install %4ds] %s\n' "$((SECONDS - T0))" "$1"
}
info() { printf '[install %4ds]   %s\n' "$((SECONDS - T0))" "$*"; }
on_error() {
  echo "[install] FAILED in stage '$STAGE' after $((SECONDS - T0)) s; see $STAGE_LOG" >&2
  [ -f "$STAGE_LOG" ] && tail -n 25 "$STAGE_LOG" >&2
}
trap on_error ERR
run_logged() { "$@" >>"$STAGE_LOG" 2>&1; }  # run a command, output to the stage log
digest() { cat "$@" | sha256sum | cut -c1-16; }

# ---------------------------------------------------------------- venv
stage venv
: >"$STAGE_LOG"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  info "creating $VENV with $("$PYTHON" --version 2>&1)"
  run_logged "$PYTHON" -m venv "$VENV"
else
  info "reusing $VENV ($("$VENV/bin/python" --version 2>&1))"
fi
PY="$VENV/bin/python"
PYVER="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
[ "$PYVER" = "3.11" ] || info "WARNING: the lock file is made for Python 3.11, this is $PYVER"
PIP=("$PY" -m pip --disable-pip-version-check)

# ---------------------------------------------------------------- pinned packages
stage packages
: >"$STAGE_LOG"
STAMP="$VENV/.podium-packages"
WANT="$(digest "$LOCK")"
if [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; then
  info "lock unchanged since the last install, skipping"
else
  info "installing $(grep -cvE '^\s*(#|$)' "$LOCK") pinned packages from requirements/lock.txt (torch alone is ~70 s)"
  # setuptools first: mmcv's build and mmengine's `mmdet::` config lookup both need pkg_resources.
  run_logged "${PIP[@]}" install $(grep -E '^(setuptools|wheel)==' "$LOCK")
  # --no-deps: the lock is complete. The libraries' metadata would pull a second opencv
  # (mmengine, mmaction2) and decord's resolver picks; the lock holds their real needs.
  run_logged "${PIP[@]}" install --no-deps -r "$LOCK"
  echo "$WANT" >"$STAMP"
fi

# ---------------------------------------------------------------- mmcv (built once, cached)
stage mmcv
: >"$STAGE_LOG"
TORCH_TAG="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"
if [ -z "${FORCE_CUDA:-}" ]; then
  FORCE_CUDA=0
  if command -v nvcc >/dev/null 2>&1 && "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    FORCE_CUDA=1
  fi
fi
if [ "$FORCE_CUDA" = "1" ]; then
  CUDA_TAG="cu$("$PY" -c 'import torch; print((torch.version.cuda or "none").replace(".", ""))')"
else
  CUDA_TAG="cpu"
fi
KEY="py${PYVER/./}-torch${TORCH_TAG}-${CUDA_TAG}"
WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION-$KEY"
mmcv_ok() {
  "$PY" - <<'PY' >>"$STAGE_LOG" 2>&1
import mmcv
from mmcv.ops import nms, RoIAlign  # noqa: F401  (fails when mmcv was built without ops)
import torch
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
_, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
assert keep.tolist() == [0, 2], keep
print('mmcv', mmcv.__version__, 'ops ok')
PY
}
if "$PY" -c "import mmcv, sys; sys.exit(0 if mmcv.__version__ == '$MMCV_VERSION' else 1)" 2>/dev/null && mmcv_ok; then
  info "mmcv $MMCV_VERSION with ops already installed"
else
  WHEEL="$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$WHEEL" ]; then
    info "no cached wheel for $KEY: building mmcv $MMCV_VERSION from source (about 20 min on 2 cores)"
    info "log: $STAGE_LOG"
    BUILD="$(mktemp -d)"
    run_logged "${PIP[@]}" download --no-deps --no-binary :all: --no-build-isolation \
      "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VERSION"
    # torch >= 2.5 headers need C++20; mmcv hard-codes c++14/c++17.
    sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$SRC/setup.py"
    grep -q 'c++20' "$SRC/setup.py"
    info "compiling with MAX_JOBS=$(nproc), FORCE_CUDA=$FORCE_CUDA"
    (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA="$FORCE_CUDA" MAX_JOBS="$(nproc)" \
      run_logged "${PIP[@]}" wheel --no-deps --no-build-isolation -w "$BUILD/dist" .)
    mkdir -p "$WHEEL_DIR.tmp"
    cp "$BUILD"/dist/mmcv-*.whl "$WHEEL_DIR.tmp/"
    rm -rf "$WHEEL_DIR" && mv "$WHEEL_DIR.tmp" "$WHEEL_DIR"  # the cache never holds half a wheel
    rm -rf "$BUILD"
    WHEEL="$(ls "$WHEEL_DIR"/mmcv-*.whl | head -n1)"
    info "cached $WHEEL ($(du -h "$WHEEL" | cut -f1))"
  else
    info "reusing cached wheel $WHEEL"
  fi
  run_logged "${PIP[@]}" install --no-deps --force-reinstall "$WHEEL"
  if ! mmcv_ok; then
    echo "[install] mmcv is installed but its compiled ops do not load: the wheel $WHEEL was built" \
      "without ops. Delete $WHEEL_DIR and run install.sh again." >&2
    false
  fi
  info "mmcv ops verified (nms, RoIAlign)"
fi

# ---------------------------------------------------------------- podium itself (editable)
stage podium
: >"$STAGE_LOG"
STAMP="$VENV/.podium-editable"
WANT="$ROOT $(digest "$ROOT/pyproject.toml")"
if [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; then
  info "podium already installed in editable mode from $ROOT"
else
  info "pip install -e . (custom_modules and tools importable from any directory)"
  run_logged "${PIP[@]}" install --no-deps --no-build-isolation -e "$ROOT"
  echo "$WANT" >"$STAMP"
fi

# ---------------------------------------------------------------- verify the whole stack
stage verify
: >"$STAGE_LOG"
(cd / && run_logged "$PY" -c 'import custom_modules; custom_modules.print_stack()') || false
tail -n 20 "$STAGE_LOG"
printf '[install %4ds] done: activate with `source %s/bin/activate`\n' "$((SECONDS - T0))" "${VENV#"$ROOT"/}"
