#!/usr/bin/env bash
# Distributed training with torchrun: N processes per node (GPUs; CPU processes over gloo
# when there is no CUDA).
#   bash tools/dist_train.sh CONFIG GPUS [train.py args...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (same values on every node but NODE_RANK).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash tools/dist_train.sh CONFIG GPUS [train.py args...]" >&2
  exit 2
fi
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
torchrun_exec "$2" train.py "$1" --launcher pytorch "${@:3}"
