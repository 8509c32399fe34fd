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
from custom_modules.engine.runner import build_runner, finish_distributed, load_config  # noqa: E402
from custom_modules.utils.cli import add_common_args, run_cli  # noqa: E402
from custom_modules.utils.errors import PodiumError  # noqa: E402


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


def merge_args(cfg, args: argparse.Namespace):
    """Apply the training flags to the config."""
    from mmengine.logging import print_log

    if args.amp:
        import torch

        optim_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if not torch.cuda.is_available():
            print_log('--amp needs a CUDA device; training in full precision on the CPU.',
                      logger='current', level=logging.WARNING)
        elif optim_type == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.', logger='current')
        else:
            if optim_type != 'OptimWrapper':
                raise PodiumError(f'--amp supports OptimWrapper, the config has {optim_type}')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

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
    runner = build_runner(cfg)
    runner.train()
    del runner  # its DDP wrapper holds the process group: free it before the teardown
    finish_distributed()
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='train'))
