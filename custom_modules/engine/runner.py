"""Config loading and runner set-up shared by tools/train.py, tools/test.py and the benches.

What OpenMMLab's ``tools/train.py`` does inline, plus what this stack needs for N processes:
the backend (NCCL when every process has a GPU, else gloo over CPU processes), SyncBN only where
it can run, DDP that tolerates frozen parameters (:class:`ProgressiveUnfreezeHook`), and a
clean process-group teardown before exit. Each decision is logged once (rank 0).
"""
from __future__ import annotations

import argparse
import logging
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
    distributed = args.launcher != 'none'
    if distributed:
        allow_unused_parameters(cfg)
        choose_backend(cfg)
    resolve_sync_bn(cfg, distributed)
    for path in [*cfg.get('trusted_checkpoints', []), *args.trust_checkpoint]:
        trust_file(path)
    return cfg


def rank0_note(message: str, level: int = logging.INFO) -> None:
    """Logs ``message`` once per run: on rank 0 only (``RANK`` unset: one process)."""
    from mmengine.logging import print_log

    if int(os.environ.get('RANK', '0')) == 0:
        print_log(message, logger='current', level=level)


def world_size() -> int:
    """Processes in the run (torchrun's ``WORLD_SIZE``, Slurm's ``SLURM_NTASKS``), 1 if unset."""
    return int(os.environ.get('WORLD_SIZE') or os.environ.get('SLURM_NTASKS') or 1)


def local_world_size() -> int:
    """Processes on this node (``LOCAL_WORLD_SIZE``, ``SLURM_NTASKS_PER_NODE``), else all."""
    value = os.environ.get('LOCAL_WORLD_SIZE') or os.environ.get('SLURM_NTASKS_PER_NODE')
    return int(value.split('(')[0]) if value else world_size()


def dist_backend(asked: str | None, cuda_for_every_process: bool) -> str:
    """NCCL when every process of the node has its own GPU, gloo (CPU processes) otherwise.

    A config's ``'nccl'`` or ``'gloo'`` is a default written for one kind of machine, so both
    follow the hardware; any other backend (``'mpi'``) is the user's explicit choice and kept.
    """
    if asked not in (None, 'nccl', 'gloo'):
        return asked
    return 'nccl' if cuda_for_every_process else 'gloo'


def choose_backend(cfg) -> str:
    """Sets ``env_cfg.dist_cfg.backend`` by :func:`dist_backend`; on CPU, DDP wraps a CPU module,
    which takes no ``device_ids``. More processes on a node than it has GPUs is an error (NCCL
    refuses two ranks on one GPU; ``CUDA_VISIBLE_DEVICES=`` runs them on the CPU instead)."""
    import torch

    from ..utils.errors import PodiumError

    procs = local_world_size()
    cuda = torch.cuda.is_available()
    if cuda and torch.cuda.device_count() < procs:
        raise PodiumError(f'{procs} processes on this node but {torch.cuda.device_count()} '
                          'GPU(s): start at most one process per GPU, or hide the GPUs '
                          '(CUDA_VISIBLE_DEVICES=) to run the processes on the CPU over gloo')
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    asked = dist_cfg.get('backend')
    backend = dist_cfg['backend'] = dist_backend(asked, cuda)
    if backend == 'gloo' and not cuda:
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper
    where = f'{procs} GPU(s) per node' if cuda else f'{procs} CPU process(es) per node'
    rank0_note(f'distributed backend: {backend} ({where}; the config asked for {asked})'
               if asked and asked != backend else f'distributed backend: {backend} ({where})')
    return backend


def has_unfreeze_hook(cfg) -> bool:
    """Whether ``custom_hooks`` holds a ``ProgressiveUnfreezeHook`` (by name, any scope)."""
    for hook in cfg.get('custom_hooks') or []:
        kind = hook.get('type') if isinstance(hook, dict) else type(hook)
        name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
        if name.split('.')[-1] == 'ProgressiveUnfreezeHook':
            return True
    return False


def allow_unused_parameters(cfg) -> None:
    """DDP with ``find_unused_parameters=True`` when a ``ProgressiveUnfreezeHook`` is configured.

    Why this and not another choice: DDP registers, when it is built, every parameter that
    requires grad, and by default waits for a gradient of each in every iteration. The hook
    freezes (``requires_grad=False``) after the wrapping, so frozen parameters never report and
    DDP stops with "Expected to have finished reduction". ``find_unused_parameters=True`` walks
    the autograd graph each iteration and marks the frozen ones ready; since they stay
    registered, they are all-reduced again as soon as they are unfrozen. ``static_graph``
    cannot follow a graph that changes at the unfreeze point, and re-wrapping the model
    mid-run would lose the optimizer's hold on the wrapped parameters. The cost is one graph
    walk per iteration.
    """
    if not has_unfreeze_hook(cfg):
        return
    cfg.find_unused_parameters = True
    if cfg.get('model_wrapper_cfg') is not None:
        cfg.model_wrapper_cfg['find_unused_parameters'] = True
    rank0_note('ProgressiveUnfreezeHook: DDP built with find_unused_parameters=True '
               '(frozen parameters get no gradient)')


def resolve_sync_bn(cfg, distributed: bool) -> None:
    """Keeps ``cfg.sync_bn`` (``True`` means ``'torch'``) for mmengine's Runner, which converts
    every BatchNorm to SyncBatchNorm when it wraps the model, only where that can run: CUDA and
    more than one process. Elsewhere (torch's SyncBatchNorm refuses CPU tensors; one process has
    nothing to sync) it is dropped with one line, and BatchNorm stays per process."""
    import torch

    value = cfg.get('sync_bn')
    if value is None:
        return
    if value is False:
        cfg.pop('sync_bn')
        return
    impl = 'torch' if value is True else value
    if impl not in ('torch', 'mmcv'):
        from ..utils.errors import PodiumError
        raise PodiumError(f'sync_bn must be True, False, "torch" or "mmcv", got {value!r}')
    procs = world_size() if distributed else 1
    if torch.cuda.is_available() and procs > 1:
        cfg.sync_bn = impl
        rank0_note(f'sync_bn: BatchNorm layers synchronised across {procs} processes ({impl})')
        return
    cfg.pop('sync_bn')
    why = 'no CUDA (SyncBatchNorm runs on GPUs only)' if procs > 1 else 'one process'
    rank0_note(f'sync_bn: skipped, {why}; BatchNorm stays per process')


def add_epoch_seeding(cfg) -> None:
    """Appends :class:`~custom_modules.engine.hooks.EpochSeedHook` to ``custom_hooks`` of a
    config that trains, so a resumed run draws what the uninterrupted one would; a config opts
    out with ``epoch_seeding = False``."""
    if cfg.get('train_cfg') is None or cfg.get('epoch_seeding', True) is False:
        return
    hooks = list(cfg.get('custom_hooks') or [])
    names = [h.get('type') if isinstance(h, dict) else type(h).__name__ for h in hooks]
    if not any(str(getattr(n, '__name__', n)).split('.')[-1] == 'EpochSeedHook' for n in names):
        cfg.custom_hooks = [*hooks, dict(type='EpochSeedHook')]


def build_runner(cfg):
    """``Runner.from_cfg`` unless the config names its own ``runner_type``; every training
    reseeds per epoch (:func:`add_epoch_seeding`)."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    add_epoch_seeding(cfg)
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
