#!/usr/bin/env bash
# Testing on a Slurm cluster, one task per GPU (variables as in slurm_train.sh).
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]" >&2
  exit 2
fi
PARTITION="$1"
JOB_NAME="$2"
CONFIG="$3"
CHECKPOINT="$4"
shift 4
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
  "$PYTHON" -u "$PODIUM_ROOT/tools/test.py" "$CONFIG" "$CHECKPOINT" --launcher slurm "$@"
