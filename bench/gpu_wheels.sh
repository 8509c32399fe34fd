#!/usr/bin/env bash
# Builds the wheel folder that bench/gpu_check.sh installs on a bare GPU machine (no network).
#
#   bash bench/gpu_wheels.sh [DIR]        (default DIR: <repo>/wheels-gpu, git-ignored)
#
# The GPU machine has Python 3.12 with torch, torchvision, numpy, opencv, pandas and scipy (and
# what those require: pillow, python-dateutil, six, tzdata, typing_extensions, filelock, sympy,
# networkx, jinja2, fsspec...). DIR gets every other package podium runs on, in the versions of
# requirements/lock.txt (mmcv: requirements/mmcv-lite.txt, the compile-nothing mode), as binary
# wheels for CPython $GPU_PYTHON_VERSION on manylinux x86_64, fetched from PyPI with --no-deps:
# the list below IS the dependency closure (docs/benchmarks.md, "GPU check", says why each).
# DIR/requirements.txt pins them for `pip install --no-index --no-deps`. Left out for size (the
# device tool carries 64 MiB in all): av and decord (video decoding: frame extraction and
# tools/infer_video.py), scikit-learn and its needs (podium's outlier report only).
#
# Environment: GPU_PYTHON_VERSION (default 3.12), PYTHON (default: .venv/bin/python, else python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/wheels-gpu}"
PYVER="${GPU_PYTHON_VERSION:-3.12}"
PYTHON="${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python3)}"
LOCK="$ROOT/requirements/lock.txt"
LITE="$ROOT/requirements/mmcv-lite.txt"
LIMIT_MIB=64  # the device tool's limit for the working tree plus carried folders

PACKAGES=(
  # the OpenMMLab stack (mmcv-lite comes from requirements/mmcv-lite.txt)
  mmengine mmpretrain mmdet mmaction2
  # pkg_resources (setuptools < 82): mmengine resolves mmdet:: / mmaction:: config bases with it
  setuptools
  # mmengine and mmcv
  addict PyYAML rich markdown-it-py mdurl Pygments termcolor yapf platformdirs packaging
  matplotlib contourpy cycler fonttools kiwisolver pyparsing
  # mmdet (six: python-dateutil >= 3 no longer brings it)
  pycocotools shapely terminaltables tqdm six
  # mmpretrain and mmaction2
  einops importlib_metadata zipp lazy-importer mat4py modelindex model-index ordered-set click
  Markdown
  # podium: the runtime configs' TensorboardVisBackend; timm backbones (sports)
  tensorboard absl-py grpcio protobuf tensorboard-data-server Werkzeug timm
)

norm() { tr '[:upper:]_.' '[:lower:]--' <<<"$1"; }
pins=()
for name in "${PACKAGES[@]}"; do
  pin="$(grep -v '^\s*#' "$LOCK" | while IFS= read -r line; do
    [ "$(norm "${line%%==*}")" = "$(norm "$name")" ] && { echo "$line"; break; }; done || true)"
  [ -n "$pin" ] || { echo "[gpu_wheels] $name is not pinned in $LOCK" >&2; exit 2; }
  pins+=("$pin")
done
pins+=("$(grep -E '^mmcv-lite==' "$LITE")")

TAG="${PYVER/./}"
PLATFORMS=()
for p in manylinux_2_28 manylinux_2_27 manylinux_2_24 manylinux_2_17 manylinux2014 manylinux1; do
  PLATFORMS+=(--platform "${p}_x86_64")
done
TMP="$DIR.tmp"
rm -rf "$TMP" && mkdir -p "$TMP"
echo "[gpu_wheels] ${#pins[@]} wheels for CPython $PYVER manylinux x86_64 -> $DIR"
"$PYTHON" -m pip download --disable-pip-version-check -q --no-deps --only-binary=:all: \
  --python-version "$PYVER" --implementation cp --abi "cp$TAG" "${PLATFORMS[@]}" \
  -d "$TMP" "${pins[@]}"
printf '%s\n' "# pip install --no-index --no-deps --find-links <this folder> -r requirements.txt" \
  "${pins[@]}" >"$TMP/requirements.txt"
count="$(ls "$TMP"/*.whl | wc -l)"
[ "$count" -eq "${#pins[@]}" ] || {
  echo "[gpu_wheels] expected ${#pins[@]} wheels, got $count" >&2; exit 1; }
rm -rf "$DIR" && mv "$TMP" "$DIR"  # never half a folder

ls -S "$DIR"/*.whl | while read -r f; do
  printf '  %6.2f MiB  %s\n' "$(du -b "$f" | cut -f1 | awk '{print $1 / 1048576}')" "$(basename "$f")"
done
wheels=$(du -cb "$DIR"/* | tail -n1 | cut -f1)
tree=$(cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 -r du -cb 2>/dev/null \
  | awk '$2 == "total" {s += $1} END {print s + 0}')
total=$((wheels + tree))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
echo "[gpu_wheels] wheels $(mib "$wheels") MiB + working tree $(mib "$tree") MiB = $(mib "$total") MiB (limit $LIMIT_MIB MiB)"
if [ "$total" -gt $((LIMIT_MIB * 1048576)) ]; then
  echo "[gpu_wheels] too large to carry: the device tool takes $LIMIT_MIB MiB in all" >&2
  exit 1
fi
echo "[gpu_wheels] carry it: run(command='bash bench/gpu_check.sh --out \$OUT/gpu_check.json', carry=['${DIR#"$ROOT"/}'])"
