#!/usr/bin/env bash
# Distributed testing with torchrun (see dist_train.sh for the environment variables).
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]" >&2
  exit 2
fi
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
torchrun_exec "$3" test.py "$1" "$2" --launcher pytorch "${@:4}"
