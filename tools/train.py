"""Train a model from an OpenMMLab config (mmpretrain, mmaction or mmdet: ``default_scope``).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT|auto]] [--amp]
        [--auto-scale-lr] [--seed N] [--deterministic] [--validate | --no-validate]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm] [--trust-checkpoint FILE]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import custom_modules  # noqa: E402,F401  (first: compat patches, then registration)
from custom_modules.engine.runner import (  # noqa: E402
    build_runner,
    finish_distributed,
    load_config,
    rank0_note,
)
from custom_modules.utils.cli import add_common_args, run_cli  # noqa: E402
from custom_modules.utils.errors import PodiumError  # noqa: E402
from custom_modules.utils.workdir_lock import work_dir_lock  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--resume', nargs='?', type=str, const='auto', metavar='CKPT',
                        help='resume from CKPT, or with no value (or "auto") from the latest '
                        'checkpoint in the work_dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (GPU)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by (GPUs x batch) / auto_scale_lr.base_batch_size')
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic cuDNN / algorithms (slower)')
    validation = parser.add_mutually_exclusive_group()
    validation.add_argument('--validate', action='store_true',
                            help='accepted for the OpenMMLab 1.x command lines; validation is '
                            'on by default')
    validation.add_argument('--no-validate', action='store_true',
                            help='skip validation during training')
    add_common_args(parser)
    return parser.parse_args(argv)


AMP_DTYPES = ('float16', 'bfloat16')


def use_amp(cfg, amp: bool, config: str) -> None:
    """``--amp``: mmengine's ``AmpOptimWrapper`` in the dtype the config asks for.

    The dtype is ``optim_wrapper.dtype`` (AmpOptimWrapper's own argument) or a top-level
    ``amp_dtype``: ``'float16'`` (the default) with a dynamic loss scale, or ``'bfloat16'``,
    whose range needs no scaling (a static scale of 1.0, which still skips steps with inf
    gradients); a ``loss_scale`` in the config is kept. bf16 on a GPU without it falls back to
    fp16. Without CUDA, AMP (asked for or in the config) becomes full precision, with one line.
    """
    import torch

    wrapper = cfg.get('optim_wrapper')
    if wrapper is None:
        return
    optim_type = wrapper.get('type', 'OptimWrapper')
    if not torch.cuda.is_available():
        if amp or optim_type == 'AmpOptimWrapper':
            what = '--amp' if amp else f'{optim_type} in {config}'
            rank0_note(f'{what} needs a CUDA device; training in full precision on the CPU.',
                       logging.WARNING)
        if optim_type == 'AmpOptimWrapper':
            wrapper.type = 'OptimWrapper'
            for key in ('loss_scale', 'dtype', 'use_fsdp'):
                wrapper.pop(key, None)
        return
    if not amp:
        return
    if optim_type not in ('OptimWrapper', 'AmpOptimWrapper'):
        raise PodiumError(f'--amp supports OptimWrapper, {config} has {optim_type}')
    dtype = wrapper.get('dtype') or cfg.get('amp_dtype') or 'float16'
    dtype = str(dtype).replace('torch.', '')
    if dtype not in AMP_DTYPES:
        raise PodiumError(f'{config}: the AMP dtype must be one of {AMP_DTYPES}, got {dtype!r}')
    if dtype == 'bfloat16' and not torch.cuda.is_bf16_supported():
        rank0_note('this GPU has no bfloat16: AMP in float16 instead.', logging.WARNING)
        dtype = 'float16'
        wrapper.pop('loss_scale', None)
    wrapper.type = 'AmpOptimWrapper'
    wrapper.dtype = dtype
    wrapper.setdefault('loss_scale', 1.0 if dtype == 'bfloat16' else 'dynamic')
    rank0_note(f'AMP: {dtype}, loss scale {wrapper.loss_scale}')


def merge_args(cfg, args: argparse.Namespace):
    """Apply the training flags to the config."""
    from mmengine.logging import print_log

    use_amp(cfg, args.amp, args.config)

    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume

    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise PodiumError('--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=N)` '
                             f'in {args.config}')
        cfg.auto_scale_lr.enable = True

    if args.seed is not None or args.deterministic:
        randomness = cfg.get('randomness', {}) or {}
        if args.seed is not None:
            randomness['seed'] = args.seed
        if args.deterministic:
            randomness['deterministic'] = True
        cfg.randomness = randomness

    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    elif args.validate and int(os.environ.get('RANK', '0')) == 0:
        if cfg.get('val_dataloader') is None:
            print_log(f'--validate: {args.config} defines no val_dataloader, nothing to validate.',
                      logger='current', level=logging.WARNING)
        else:
            print_log('--validate: validation is on by default (--no-validate turns it off).',
                      logger='current')
    return cfg


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = merge_args(load_config(args), args)
    # One run per work_dir (rank 0 locks; under the solution runner, its lock covers this one).
    with work_dir_lock(cfg.work_dir):
        runner = build_runner(cfg)
        runner.train()
        del runner  # its DDP wrapper holds the process group: free it before the teardown
        finish_distributed()
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='train'))
