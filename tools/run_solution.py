"""Run a solution manifest: ``train`` (data -> models) or ``inference`` (models -> submission).

    python tools/run_solution.py train|inference [--solution action] [--gpus N] [--force]
        [--dry-run] [--resume-anyway] (train only)
        [--checkpoints DIR [--trust-checkpoints]]   (the last two: inference only)

``train.sh N [SOLUTION]`` and ``inference.sh N [SOLUTION]`` call this. N is the number of GPUs;
without CUDA, N CPU processes over gloo (0 or 1: one plain process). Environment: DATA_ROOT,
WORK_DIR, FOLDS (e.g. ``0,1,2`` or ``all``), FORCE=1 (redo every stage), RESUME_ANYWAY=1, PORT
(rendezvous port). One run per work folder: ``<work_dir>/.podium.lock`` (a second run exits 2).
Every run starts with the preflight (``tools/solutions/preflight.py``: every problem at once, exit
2, before anything costly); ``--dry-run`` then prints the plan and runs nothing. What the run
prints is kept in ``<work_dir>/logs/``; at its end (a failed one too) the stage table goes to
``<work_dir>/stages_<mode>.json`` and the run report to ``<work_dir>/report.html``.
``--checkpoints DIR``: inference from files trained elsewhere, ``DIR/<run>/fold<k>.pth`` (or
``DIR/<run>.pth`` for every fold) instead of the training's own work_dir.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_modules.compat import TRUST_HINT_ENV  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.errors import InputError  # noqa: E402
from custom_modules.utils.workdir_lock import holder_note, work_dir_lock  # noqa: E402
from custom_modules.visualization.report import ReportSource, save_source, write_report  # noqa: E402
from tools.solutions.manifest import Manifest, ManifestError, load_manifest  # noqa: E402
from tools.solutions.preflight import preflight  # noqa: E402
from tools.solutions.stages import Pipeline, console_log  # noqa: E402
from tools.solutions.steps import generate_demo_data  # noqa: E402

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
    parser.add_argument('--dry-run', action='store_true',
                        help='check everything (the preflight), then print the plan: each stage '
                        'with whether it would run and why, and the exact commands; runs and '
                        'writes nothing but its log')
    parser.add_argument('--resume-anyway', action='store_true',
                        default=os.environ.get('RESUME_ANYWAY') == '1',
                        help='train only: resume interrupted runs even when their inputs (lists, '
                        'classes, config, weights, seed) changed since their checkpoints were '
                        'made; without it such a run restarts, its old outputs moved aside '
                        '(also RESUME_ANYWAY=1)')
    parser.add_argument('--checkpoints', type=Path, metavar='DIR',
                        help='inference only: the checkpoints to predict with, '
                        'DIR/<run>/fold<k>.pth or DIR/<run>.pth (every fold), instead of the '
                        "training's own work_dir")
    parser.add_argument('--trust-checkpoints', action='store_true',
                        help='inference only: allow every checkpoint it loads a full unpickle '
                        '(files not written by a podium run on this machine load weights-only)')
    args = parser.parse_args(argv)
    if args.mode == 'train' and (args.checkpoints or args.trust_checkpoints):
        parser.error('--checkpoints and --trust-checkpoints are for inference: train writes '
                     'its own checkpoints')
    return args


TRUST_HINT = ('pass `--trust-checkpoints` to inference.sh (or tools/run_solution.py inference) '
              'to trust every checkpoint the inference loads')


def apply_checkpoint_args(manifest: Manifest, args: argparse.Namespace) -> None:
    """``--checkpoints`` / ``--trust-checkpoints`` onto the manifest the flows read."""
    if args.checkpoints is not None:
        if not args.checkpoints.is_dir():
            raise InputError(f'--checkpoints {args.checkpoints}: no such folder (expected '
                             '<run>/fold<k>.pth or <run>.pth files in it)')
        manifest.checkpoints = args.checkpoints.resolve()
    manifest.trust_checkpoints = args.trust_checkpoints


@contextlib.contextmanager
def runner_trust_hint(mode: str) -> Iterator[None]:
    """During inference a refused checkpoint names the runner's ``--trust-checkpoints``, in this
    process and in the tools it launches (through ``$PODIUM_TRUST_HINT``)."""
    saved = os.environ.get(TRUST_HINT_ENV)
    if mode == 'inference':
        os.environ[TRUST_HINT_ENV] = TRUST_HINT
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(TRUST_HINT_ENV, None)
        else:
            os.environ[TRUST_HINT_ENV] = saved


def hold_work_dir(work_dir: Path, dry_run: bool) -> contextlib.AbstractContextManager:
    """The work folder's lock for the whole run: a second run on it refuses (exit 2); a dry
    run takes none and only says who holds it (custom_modules/utils/workdir_lock.py)."""
    if dry_run:
        note = holder_note(work_dir)
        if note:
            print(note, flush=True)
        return contextlib.nullcontext()
    return work_dir_lock(work_dir)


def record_run(manifest: Manifest, mode: str, pipe: Pipeline) -> None:
    """``<work_dir>/stages_<mode>.json``, then ``report.html`` (also after a failed stage).

    The report only reads what the run left: a problem with it is printed, never raised, so it
    can neither fail a good run nor hide why a run failed.
    """
    try:
        pipe.save(Path(manifest.work_dir) / f'stages_{mode}.json')
        source = ReportSource(manifest.work_dir, manifest.name, Path(manifest.data_root).resolve(),
                              manifest.flow, manifest.get('inference', {}).get('threshold', 0.5))
        save_source(source)
        print(f'[podium] run report: {write_report(source).resolve()}', flush=True)
    except Exception as err:  # noqa: BLE001 (the run's own outcome matters more; said below)
        print(f'[podium] run report not written: {type(err).__name__}: {err}', flush=True)


def run(argv: list[str] | None = None) -> int:
    """Runs the flow named by the arguments; errors propagate (see ``main``)."""
    args = parse_args(argv)
    t0 = time.monotonic()
    manifest = load_manifest(args.solution)
    apply_checkpoint_args(manifest, args)
    manifest.resume_anyway = args.resume_anyway and args.mode == 'train'
    train, inference = flow_functions(manifest)
    pipe = Pipeline(force=args.force, dry_run=args.dry_run)
    what = f'{args.mode} {manifest.name}' + (' (dry run)' if args.dry_run else '')
    with hold_work_dir(manifest.work_dir, args.dry_run), \
            console_log(manifest.work_dir, args.mode, args.dry_run):
        print(f'[podium] {what}: data {manifest.data_root}, outputs {manifest.work_dir}, folds '
              f'{manifest.folds}, {args.gpus} process(es)', flush=True)
        if manifest.checkpoints is not None:
            print(f'[podium] checkpoints from {manifest.checkpoints}'
                  + (' (trusted: full unpickle allowed)' if manifest.trust_checkpoints else ''),
                  flush=True)
        try:
            with runner_trust_hint(args.mode):
                generate_demo_data(manifest, pipe)  # a dry run only plans it
                preflight(manifest, args.mode, args.gpus, force=args.force)
                flow = train if args.mode == 'train' else inference
                result = flow(manifest, args.gpus, pipe)
        finally:
            if pipe.records:
                print('\n' + pipe.summary(), flush=True)
                if not args.dry_run:
                    record_run(manifest, args.mode, pipe)
        if args.dry_run:
            print(f'[podium] {what}: all checks passed, nothing was run '
                  f'({time.monotonic() - t0:.1f} s)', flush=True)
            return 0
        print(f'[podium] {what} finished in {time.monotonic() - t0:.0f} s')
        if result is not None:
            print(result.resolve())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Exit status 0; 2 for bad data, manifest or usage; 1 for a stage that failed. A podium error
    is printed as one message, anything else keeps its traceback."""
    return run_cli(run, argv, prog='podium')


if __name__ == '__main__':
    sys.exit(main())
