"""Config loading and runner set-up shared by tools/train.py, tools/test.py and the benches.

What OpenMMLab's ``tools/train.py`` does inline, plus two fixes for this stack: CPU-only
distributed runs over gloo, and a clean process-group teardown before exit.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp

from ..compat import trust_file


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
