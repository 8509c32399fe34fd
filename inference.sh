#!/usr/bin/env bash
# Predict the test set of a trained solution and write work_dirs/<solution>/submission.csv:
#   bash inference.sh [N] [SOLUTION] [--force]      (arguments and environment as train.sh)
#   --checkpoints DIR: predict with DIR/<run>/fold<k>.pth (or DIR/<run>.pth) trained elsewhere;
#   --trust-checkpoints: allow them a full unpickle (docs/get_started.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools/_launch.sh"
cd "$PODIUM_ROOT"
exec "$PYTHON" tools/run_solution.py inference --gpus "${1:-1}" --solution "${2:-action}" "${@:3}"
