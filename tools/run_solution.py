"""Run a solution manifest: ``train`` (data -> models) or ``inference`` (models -> submission).

    python tools/run_solution.py train|inference [--solution action] [--gpus N] [--force]

``train.sh N [SOLUTION]`` and ``inference.sh N [SOLUTION]`` call this. N is the number of GPUs;
without CUDA, N CPU processes over gloo (0 or 1: one plain process). Environment: DATA_ROOT,
WORK_DIR, FOLDS (e.g. ``0,1,2``), FORCE=1 (redo every stage), PORT (rendezvous port).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_modules.utils.cli import run_cli  # noqa: E402
from tools.solutions.manifest import Manifest, ManifestError, load_manifest  # noqa: E402
from tools.solutions.stages import Pipeline  # noqa: E402

# A manifest's `flow` names a module of tools/solutions/ with train_all and inference_all.
FLOWS = ('action', 'crash', 'sports', 'localize')
Flow = Callable[[Manifest, int, Pipeline], 'Path | None']


def flow_functions(manifest: Manifest) -> tuple[Flow, Flow]:
    """``(train_all, inference_all)`` of the manifest's flow."""
    if manifest.flow not in FLOWS:
        raise ManifestError(f'{manifest.path}: unknown flow {manifest.flow!r} '
                            f'(known: {", ".join(FLOWS)})')
    module = importlib.import_module(f'tools.solutions.{manifest.flow}')
    return module.train_all, module.inference_all


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a solution or write its submission')
    parser.add_argument('mode', choices=['train', 'inference'])
    parser.add_argument('--solution', default='action',
                        help='manifest name in configs/solutions/ or a path (default: action)')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per node (GPUs; CPU processes without CUDA)')
    parser.add_argument('--force', action='store_true', default=os.environ.get('FORCE') == '1',
                        help='redo every stage, even up-to-date ones (also FORCE=1)')
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> int:
    """Runs the flow named by the arguments; errors propagate (see ``main``)."""
    args = parse_args(argv)
    t0 = time.monotonic()
    manifest = load_manifest(args.solution)
    train, inference = flow_functions(manifest)
    pipe = Pipeline(force=args.force)
    print(f'[podium] {args.mode} {manifest.name}: data {manifest.data_root}, outputs '
          f'{manifest.work_dir}, folds {manifest.folds}, {args.gpus} process(es)', flush=True)
    try:
        result = train(manifest, args.gpus, pipe) if args.mode == 'train' else inference(
            manifest, args.gpus, pipe)
    finally:
        if pipe.records:
            print('\n' + pipe.summary(), flush=True)
    print(f'[podium] {args.mode} {manifest.name} finished in {time.monotonic() - t0:.0f} s')
    if result is not None:
        print(result.resolve())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Exit status 0; 2 for bad data, manifest or usage; 1 for a stage that failed. A podium error
    is printed as one message, anything else keeps its traceback."""
    return run_cli(run, argv, prog='podium')


if __name__ == '__main__':
    sys.exit(main())
