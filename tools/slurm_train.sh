#!/usr/bin/env bash
# Training on a Slurm cluster, one task per GPU.
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args...]
# PORT sets the rendezvous port (mmengine's slurm launcher reads it as MASTER_PORT).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args...]" >&2
  exit 2
fi
PARTITION="$1"
JOB_NAME="$2"
CONFIG="$3"
shift 3
GPUS="${GPUS:-8}"
GPUS_PER_NODE="${GPUS_PER_NODE:-$(( GPUS < 8 ? GPUS : 8 ))}"
CPUS_PER_TASK="${CPUS_PER_TASK:-5}"
read -r -a EXTRA_SRUN <<< "${SRUN_ARGS:-}"
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
[ -n "${PORT:-}" ] && export MASTER_PORT="$PORT"
exec srun -p "$PARTITION" \
  --job-name="$JOB_NAME" \
  --gres="gpu:$GPUS_PER_NODE" \
  --ntasks="$GPUS" \
  --ntasks-per-node="$GPUS_PER_NODE" \
  --cpus-per-task="$CPUS_PER_TASK" \
  --kill-on-bad-exit=1 \
  "${EXTRA_SRUN[@]}" \
  "$PYTHON" -u "$PODIUM_ROOT/tools/train.py" "$CONFIG" --launcher slurm "$@"
