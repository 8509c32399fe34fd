#!/usr/bin/env bash
# Testing on a Slurm cluster, one task per GPU (variables as in slurm_train.sh).
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]" >&2
  exit 2
fi
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
srun_exec "$1" "$2" test.py "$3" "$4" --launcher slurm "${@:5}"
