#!/usr/bin/env bash
# Train every model of a solution: bash train.sh [N] [SOLUTION] [--force]
#   N: GPUs (without CUDA: CPU processes over gloo; 0 or 1: one plain process). Default 1.
#   SOLUTION: a manifest in configs/solutions/ (default: action).
# Environment: DATA_ROOT, WORK_DIR, FOLDS (e.g. 0,1,2; all: every fold), FORCE=1, PORT,
#   NNODES/NODE_RANK/MASTER_ADDR, RESUME_ANYWAY=1 (or --resume-anyway: resume runs whose inputs
#   changed instead of restarting).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools/_launch.sh"
cd "$PODIUM_ROOT"
exec "$PYTHON" tools/run_solution.py train --gpus "${1:-1}" --solution "${2:-action}" "${@:3}"
