"""Test (and optionally dump the predictions of) a checkpoint with an OpenMMLab config.

    python tools/test.py CONFIG CHECKPOINT [--dump preds.pkl] [--work-dir DIR]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm] [--trust-checkpoint FILE]
        [--tta]
"""
from __future__ import annotations

import argparse
import os.path as osp
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
from custom_modules.engine.tta import apply_tta  # noqa: E402
from custom_modules.utils.cli import add_common_args, run_cli  # noqa: E402
from custom_modules.utils.errors import PodiumError  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--dump', metavar='PKL',
                        help='write every sample\'s prediction (with its metainfo, e.g. '
                        'sample_id) to this .pkl file')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation: wrap the model in the config\'s tta_model '
                        'and test with its tta_pipeline (or tta_transforms inserted before the '
                        'test pipeline\'s pack step); see configs/_base_/tta_flip.py')
    add_common_args(parser)
    return parser.parse_args(argv)


def add_dump(cfg, dump: str) -> None:
    """Append mmengine's DumpResults to the test evaluator."""
    if not dump.endswith(('.pkl', '.pickle')):
        raise PodiumError(f'--dump must name a .pkl or .pickle file, got {dump}')
    evaluator = cfg.get('test_evaluator')
    if evaluator is None:
        evaluator = []
    elif isinstance(evaluator, dict) and 'metrics' not in evaluator and 'type' in evaluator:
        evaluator = [evaluator]
    dump_metric = dict(type='DumpResults', out_file_path=osp.abspath(dump))
    if isinstance(evaluator, dict):  # an Evaluator config with a `metrics` list
        metrics = evaluator['metrics']
        evaluator['metrics'] = [*(metrics if isinstance(metrics, list) else [metrics]),
                                dump_metric]
    else:
        evaluator = [*evaluator, dump_metric]
    cfg.test_evaluator = evaluator


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.dump:
        add_dump(cfg, args.dump)
    if args.tta:
        rank0_note(apply_tta(cfg, args.config))
    runner = build_runner(cfg)
    runner.test()
    del runner  # its DDP wrapper holds the process group: free it before the teardown
    finish_distributed()
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='test'))
