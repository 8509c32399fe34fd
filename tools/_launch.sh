# Sourced by the dist_*/slurm_* launchers and train.sh/inference.sh: the interpreter, the repo
# root, and the two ways of starting N processes of a tool.
# PYTHON overrides; otherwise the repo's .venv, otherwise python3 on PATH.
PODIUM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$PODIUM_ROOT/.venv/bin/python" ]; then
    PYTHON="$PODIUM_ROOT/.venv/bin/python"
  else
    PYTHON="python3"
  fi
fi
export PYTHONPATH="$PODIUM_ROOT${PYTHONPATH:+:$PYTHONPATH}"

# torchrun_exec NPROC TOOL [args...]: NPROC processes of tools/TOOL on this node, with
# NNODES, NODE_RANK, MASTER_ADDR and PORT for multi-node runs.
torchrun_exec() {
  local nproc="$1" tool="$2"
  shift 2
  exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$nproc" \
    "$PODIUM_ROOT/tools/$tool" "$@"
}

# srun_exec PARTITION JOB_NAME TOOL [args...]: one Slurm task per GPU running tools/TOOL, sized
# by GPUS, GPUS_PER_NODE, CPUS_PER_TASK, with SRUN_ARGS passed to srun and PORT as MASTER_PORT.
srun_exec() {
  local partition="$1" job="$2" tool="$3"
  shift 3
  local gpus="${GPUS:-8}"
  local per_node="${GPUS_PER_NODE:-$(( gpus < 8 ? gpus : 8 ))}"
  local extra=()
  read -r -a extra <<< "${SRUN_ARGS:-}"
  if [ -n "${PORT:-}" ]; then export MASTER_PORT="$PORT"; fi
  exec srun -p "$partition" \
    --job-name="$job" \
    --gres="gpu:$per_node" \
    --ntasks="$gpus" \
    --ntasks-per-node="$per_node" \
    --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 \
    "${extra[@]}" \
    "$PYTHON" -u "$PODIUM_ROOT/tools/$tool" "$@"
}
