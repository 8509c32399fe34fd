#!/usr/bin/env bash
# Distributed testing with torchrun (see dist_train.sh for the environment variables).
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]" >&2
  exit 2
fi
CONFIG="$1"
CHECKPOINT="$2"
GPUS="$3"
shift 3
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
exec "$PYTHON" -m torch.distributed.run \
  --nnodes="${NNODES:-1}" \
  --node_rank="${NODE_RANK:-0}" \
  --master_addr="${MASTER_ADDR:-127.0.0.1}" \
  --master_port="${PORT:-29500}" \
  --nproc_per_node="$GPUS" \
  "$PODIUM_ROOT/tools/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "$@"
