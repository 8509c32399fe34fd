"""Steps every flow shares: where a run lives, its pretrained weights, training and inference."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from custom_modules.utils.errors import InputError

from . import launch
from .manifest import REPO_ROOT, Manifest, Run
from .stages import Pipeline, touch_marker


def run_dir(m: Manifest, run: Run, fold: int) -> Path:
    """``work_dirs/<solution>/<run>/fold<k>``: the run's mmengine work_dir for one fold."""
    return m.work_dir / run.name / f'fold{fold}'


def pretrained_options(m: Manifest, run: Run) -> dict[str, Any]:
    """The run's pretrained-weights options, or a clear error naming the file to put where."""
    if not run.pretrained:
        return {}
    file = (REPO_ROOT / run.pretrained['file']).resolve()
    if not file.is_file():
        raise InputError(
            f'run {run.name} starts from pretrained weights that are not here: put '
            f'{run.pretrained.get("what", "the weights file")} at {file} '
            f'(no step downloads it). To train from scratch instead, remove `pretrained` from '
            f'the run {run.name!r} in {m.path}.')
    return {k: str(file) if v == '{file}' else v
            for k, v in run.pretrained.get('cfg_options', {}).items()}


def train_step(m: Manifest, pipe: Pipeline, run: Run, fold: int, gpus: int,
               wiring: Mapping[str, Any], inputs: Sequence[Path],
               metrics: Callable[[], dict] | None = None) -> Path:
    """Stage ``train <run> fold<k>``: tools/train.py, then curves.png and the ``done.json`` marker.

    ``wiring`` holds the flow's data options (lists, roots, classes); the run's pretrained
    weights and then its own ``cfg_options`` go on top, so the manifest has the last word.
    An interrupted run (no marker yet) resumes from its last checkpoint unless ``--force``.
    Returns the marker, which later stages take as their input.
    """
    from custom_modules.visualization import plot_training_curves

    wd = run_dir(m, run, fold)
    done = wd / 'done.json'

    def do_train() -> dict:
        options = {**wiring, **pretrained_options(m, run), **run.cfg_options}
        resume = not pipe.force and not done.exists()  # continue an interrupted run
        done.unlink(missing_ok=True)
        launch.train(run.config, wd, gpus, options, resume, wd / 'podium_train.log',
                     auto_scale_lr=m.get('auto_scale_lr', False))
        plot_training_curves(wd, wd / 'curves.png')
        touch_marker(done, json.dumps({'checkpoint': str(launch.final_checkpoint(wd))}))
        return {}

    pipe.stage(f'train {run.name} fold{fold}', do_train,
               inputs=[run.config, *inputs, m.path], outputs=[done], metrics=metrics)
    return done


def trained_checkpoint(m: Manifest, run: Run, fold: int) -> Path:
    """The checkpoint a finished training left, or an error saying to train first."""
    wd = run_dir(m, run, fold)
    if not (wd / 'done.json').is_file():
        raise InputError(f'{run.name} fold{fold} is not trained ({wd / "done.json"} is '
                         f'missing): run `bash train.sh N {m.name}` first')
    return launch.final_checkpoint(wd)


def infer_step(m: Manifest, pipe: Pipeline, run: Run, fold: int, gpus: int,
               wiring: Mapping[str, Any], test_list: Path) -> Path:
    """Stage ``infer <run> fold<k>``: tools/test.py --dump on the test list; returns the dump.

    The run's ``cfg_options`` go over the flow's ``wiring``, as in :func:`train_step`.
    """
    wd = run_dir(m, run, fold)
    options = {**wiring, **run.cfg_options}
    ckpt = trained_checkpoint(m, run, fold)
    dump = wd / 'test_preds.pkl'
    pipe.stage(f'infer {run.name} fold{fold}',
               lambda: launch.test(run.config, ckpt, wd, gpus, options, dump,
                                   wd / 'podium_test.log'),
               inputs=[ckpt, wd / 'done.json', test_list], outputs=[dump])
    return dump


def infer_runs(m: Manifest, pipe: Pipeline, runs: Sequence[Run], gpus: int,
               wiring: Callable[[Run, int], Mapping[str, Any]],
               test_list: Path) -> list[tuple[Run, Path]]:
    """:func:`infer_step` for every run and fold: ``(run, test dump)``, the ensemble's inputs."""
    return [(run, infer_step(m, pipe, run, fold, gpus, wiring(run, fold), test_list))
            for run in runs for fold in m.folds]


def val_dump(m: Manifest, run: Run, fold: int, gpus: int, wiring: Mapping[str, Any],
             val_split: Mapping[str, Any]) -> Path:
    """tools/test.py --dump of the fold's trained checkpoint on its validation split.

    ``val_split`` points the test loader at the fold's validation data; it goes over the
    flow's ``wiring`` and the run's ``cfg_options``. Returns ``<run_dir>/val_preds.pkl``.
    """
    wd = run_dir(m, run, fold)
    dump = wd / 'val_preds.pkl'
    launch.test(run.config, trained_checkpoint(m, run, fold), wd, gpus,
                {**wiring, **run.cfg_options, **val_split}, dump, wd / 'podium_val.log')
    return dump
