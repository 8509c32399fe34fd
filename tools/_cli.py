"""Shared pieces of tools/train.py and tools/test.py: config loading and launch settings."""
from __future__ import annotations

import argparse
import os
import os.path as osp

import custom_modules  # noqa: F401  (first: compat patches, then registration)
from custom_modules.compat import trust_file


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by train and test, as in OpenMMLab's tools."""
    from mmengine.config import DictAction

    parser.add_argument('--work-dir', help='directory for logs, checkpoints and dumps')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_cfg.max_epochs=2 "a.b=[1,2]"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='how the processes were launched')
    parser.add_argument('--trust-checkpoint', action='append', default=[], metavar='FILE',
                        help='allow a full unpickle of FILE (a checkpoint not written by a '
                        'podium run on this machine); repeatable')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace):
    """Config with ``--cfg-options``, work_dir, launcher and trust list applied."""
    from mmengine.config import Config

    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.launcher = args.launcher
    if args.launcher != 'none':
        use_cpu_backend(cfg)
    for path in [*cfg.get('trusted_checkpoints', []), *args.trust_checkpoint]:
        trust_file(path)
    return cfg


def use_cpu_backend(cfg) -> None:
    """NCCL needs GPUs: without CUDA, distributed runs are N CPU processes over gloo.

    DDP then wraps a CPU module, which takes no ``device_ids``.
    """
    import torch

    if torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def build_runner(cfg):
    """``Runner.from_cfg`` unless the config names its own ``runner_type``."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def finish_distributed() -> None:
    """Tear the process group down before exit.

    mmengine leaves it to interpreter shutdown, where gloo's worker threads, still owning
    tensors, try to take the GIL of a dying interpreter and abort the rank
    (``terminate called without an active exception``) after the work is done. Call it
    once the runner is released: a live DDP wrapper keeps the group alive past
    ``destroy_process_group``.
    """
    import gc

    import torch.distributed as dist

    gc.collect()  # the runner's model and optimizer, and with them the group's last users
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
