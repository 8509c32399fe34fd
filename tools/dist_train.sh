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
CONFIG="$1"
GPUS="$2"
shift 2
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
exec "$PYTHON" -m torch.distributed.run \
  --nnodes="${NNODES:-1}" \
  --node_rank="${NODE_RANK:-0}" \
  --master_addr="${MASTER_ADDR:-127.0.0.1}" \
  --master_port="${PORT:-29500}" \
  --nproc_per_node="$GPUS" \
  "$PODIUM_ROOT/tools/train.py" "$CONFIG" --launcher pytorch "$@"
