"""Steps every flow shares: where a run lives, its pretrained weights, training and inference."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from custom_modules.utils.errors import InputError

from . import fingerprint, launch
from .manifest import REPO_ROOT, Manifest, Run, tta_of
from .stages import Pipeline, touch_marker


def run_dir(m: Manifest, run: Run, fold: int) -> Path:
    """``work_dirs/<solution>/<run>/fold<k>``: the run's mmengine work_dir for one fold."""
    return m.work_dir / run.name / f'fold{fold}'


def fetch_name(m: Manifest, file: Path) -> str:
    """What ``tools/checkpoints.py fetch`` takes for this weight: the solution's name when the
    manifest is one of configs/solutions/, else the file's name (looked up in the model zoo)."""
    if m.path.parent == REPO_ROOT / 'configs' / 'solutions':
        return m.path.stem
    return file.name


def pretrained_options(m: Manifest, run: Run) -> dict[str, Any]:
    """The run's pretrained-weights options, or a clear error naming the file to put where."""
    if not run.pretrained:
        return {}
    file = (REPO_ROOT / run.pretrained['file']).resolve()
    if not file.is_file():
        get = (f'`{run.pretrained["make"]}` makes it here (install.sh runs it)'
               if run.pretrained.get('make') else
               f'no step downloads it; `python tools/checkpoints.py fetch {fetch_name(m, file)}` '
               'downloads and verifies it, with `--mirror URL` behind a firewall')
        raise InputError(
            f'run {run.name} starts from pretrained weights that are not here: put '
            f'{run.pretrained.get("what", "the weights file")} at {file} ({get}). To train '
            f'from scratch instead, remove `pretrained` from the run {run.name!r} in {m.path}.')
    return {k: str(file) if v == '{file}' else v
            for k, v in run.pretrained.get('cfg_options', {}).items()}


def train_step(m: Manifest, pipe: Pipeline, run: Run, fold: int, gpus: int,
               wiring: Mapping[str, Any], inputs: Sequence[Path],
               metrics: Callable[[], dict] | None = None) -> Path:
    """Stage ``train <run> fold<k>``: tools/train.py, then curves.png and the ``done.json`` marker.

    ``wiring`` holds the flow's data options (lists, roots, classes); the run's pretrained
    weights, the manifest's ``sync_bn`` and then the run's own ``cfg_options`` go on top, so
    the manifest has the last word. The manifest's ``amp`` (or the run's) adds ``--amp``.
    An interrupted run (no marker yet) resumes from its last checkpoint when its fingerprint
    (lists, classes, config, weights, seed: tools/solutions/fingerprint.py) is unchanged; one
    whose inputs changed, or ``--force``, trains from scratch with the previous outputs moved
    aside (``--resume-anyway`` resumes it instead).
    Returns the marker, which later stages take as their input.
    """
    from custom_modules.visualization import plot_training_curves

    wd = run_dir(m, run, fold)
    done = wd / 'done.json'
    name = f'train {run.name} fold{fold}'
    stage_inputs = [run.config, *inputs, m.path]

    def arguments() -> tuple[dict[str, Any], dict[str, str], fingerprint.ResumeDecision]:
        """launch.train's arguments, the run's fingerprint and whether it resumes, decided
        when the stage runs (or is planned)."""
        sync_bn = {'sync_bn': 'torch'} if m.sync_bn else {}
        kwargs = dict(config=run.config, work_dir=wd, gpus=gpus,
                      options={**wiring, **pretrained_options(m, run), **sync_bn,
                               **run.cfg_options},
                      auto_scale_lr=m.get('auto_scale_lr', False), seed=m.seed,
                      deterministic=m.deterministic, amp=m.amp if run.amp is None else run.amp)
        parts = fingerprint.run_fingerprint(run.config, kwargs['options'], inputs, {
            k: kwargs[k] for k in ('seed', 'deterministic', 'amp', 'auto_scale_lr')})
        decision = fingerprint.decide(wd, parts, pipe.force, m.resume_anyway)
        return {**kwargs, 'resume': decision.resume}, parts, decision

    def do_train() -> dict:
        kwargs, parts, decision = arguments()
        if decision.note:
            print(f'[podium] {name}: {decision.note}', flush=True)
        if decision.action == 'keep':  # up to date from now on; later stages keep theirs
            fingerprint.date_after(done, stage_inputs)
            return {}
        if decision.action == 'restart':
            moved = fingerprint.move_aside(wd)
            print(f'[podium] {name}: previous outputs moved to {moved}', flush=True)
        done.unlink(missing_ok=True)
        fingerprint.write_fingerprint(wd, parts, decision.note)
        launch.train(log_file=wd / 'podium_train.log', **kwargs)
        plot_training_curves(wd, wd / 'curves.png')
        touch_marker(done, json.dumps({'checkpoint': str(launch.final_checkpoint(wd))}))
        return {}

    def plan() -> list[str]:
        kwargs, _, decision = arguments()
        return [*([decision.note] if decision.note else []),
                launch.shell_line(launch.train_command(**kwargs)), f'-> {done}']

    pipe.stage(name, do_train,
               inputs=stage_inputs, outputs=[done], metrics=metrics,
               plan=plan)
    return done


def trained_checkpoint(m: Manifest, run: Run, fold: int) -> Path:
    """The checkpoint a finished training left, or an error saying to train first."""
    wd = run_dir(m, run, fold)
    if not (wd / 'done.json').is_file():
        raise InputError(f'{run.name} fold{fold} is not trained ({wd / "done.json"} is '
                         f'missing): run `bash train.sh N {m.name}` first, or give trained '
                         f'files with `--checkpoints DIR`')
    return launch.final_checkpoint(wd)


def checkpoint_for(m: Manifest, run: Run, fold: int) -> Path:
    """The checkpoint every flow loads for ``run`` and ``fold``: with ``--checkpoints DIR``,
    ``DIR/<run>/fold<k>.pth``, else ``DIR/<run>.pth`` (one file for every fold); without it,
    the one the run's training left (:func:`trained_checkpoint`).

    A supplied file is checked against the trust policy here, before any stage runs (cheap: its
    pickle, not its tensors), unless ``--trust-checkpoints`` opts the files in.
    """
    from custom_modules.compat import check_loadable

    if m.checkpoints is None:
        return trained_checkpoint(m, run, fold)
    per_fold = m.checkpoints / run.name / f'fold{fold}.pth'
    per_run = m.checkpoints / f'{run.name}.pth'
    for ckpt in (per_fold, per_run):
        if ckpt.is_file():
            if not m.trust_checkpoints:
                check_loadable(ckpt)
            return ckpt
    raise InputError(f'--checkpoints {m.checkpoints}: no checkpoint for run {run.name} '
                     f'fold{fold}: put it at {per_fold} (or at {per_run} for every fold)')


def trust_args(m: Manifest, ckpt: Path) -> list[str]:
    """``--trust-checkpoint FILE`` for tools/test.py when the user opted the files in."""
    return ['--trust-checkpoint', str(ckpt)] if m.trust_checkpoints else []


def checkpoint_stamp(wd: Path, ckpt: Path) -> Path:
    """``wd/test_checkpoint-<key>.json``, the key from the checkpoint's path, size and mtime.

    An output of the stage that predicted with ``ckpt``: another file, or a changed one (even
    copied with an older mtime), has another stamp, so the stage runs again.
    """
    st = ckpt.stat()
    key = hashlib.sha1(f'{ckpt.resolve()}|{st.st_size}|{st.st_mtime_ns}'.encode()).hexdigest()
    return wd / f'test_checkpoint-{key[:12]}.json'


def stamped(action: Callable[[], Any], wd: Path, ckpt: Path) -> Callable[[], Any]:
    """``action``, then its :func:`checkpoint_stamp` written (older stamps removed)."""
    def run() -> Any:
        result = action()
        stamp = checkpoint_stamp(wd, ckpt)
        for old in wd.glob('test_checkpoint-*.json'):
            if old != stamp:
                old.unlink()
        touch_marker(stamp, json.dumps({'checkpoint': str(ckpt.resolve())}))
        return result
    return run


def infer_step(m: Manifest, pipe: Pipeline, run: Run, fold: int, gpus: int,
               wiring: Mapping[str, Any], test_list: Path) -> Path:
    """Stage ``infer <run> fold<k>``: tools/test.py --dump on the test list; returns the dump.

    The run's ``cfg_options`` go over the flow's ``wiring``, as in :func:`train_step`.
    """
    wd = run_dir(m, run, fold)
    options = {**wiring, **run.cfg_options}
    ckpt = checkpoint_for(m, run, fold)
    trust = [*trust_args(m, ckpt), *tta_args(m, run)]
    dump = wd / ('test_preds_tta.pkl' if tta_of(m, run) else 'test_preds.pkl')
    pipe.stage(f'infer {run.name} fold{fold}',
               stamped(lambda: launch.test(run.config, ckpt, wd, gpus, options, dump,
                                           wd / 'podium_test.log', trust), wd, ckpt),
               inputs=[ckpt, test_list], outputs=[dump, checkpoint_stamp(wd, ckpt)],
               plan=lambda: [launch.shell_line(launch.test_command(
                   run.config, ckpt, wd, gpus, options, dump, trust))])
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
    ckpt = checkpoint_for(m, run, fold)
    options = {**wiring, **run.cfg_options, **val_split}
    launch.test(run.config, ckpt, wd, gpus, options, dump, wd / 'podium_val.log',
                trust_args(m, ckpt))
    if tta_of(m, run):  # the same split with TTA, for tta_oof.json (plain dump kept as is)
        launch.test(run.config, ckpt, wd, gpus, options, wd / 'val_preds_tta.pkl',
                    wd / 'podium_val_tta.log', [*trust_args(m, ckpt), '--tta'])
    return dump


def tta_args(m: Manifest, run: Run) -> list[str]:
    """``--tta`` for tools/test.py when the manifest (or the run) asks for TTA."""
    return ['--tta'] if tta_of(m, run) else []


def val_tta_outputs(m: Manifest, run: Run, fold: int) -> list[Path]:
    """What :func:`val_dump` adds with TTA on (an output of the validate stages, so that
    switching TTA on validates again)."""
    return [run_dir(m, run, fold) / 'val_preds_tta.pkl'] if tta_of(m, run) else []


def tta_oof_step(m: Manifest, pipe: Pipeline, validated: Sequence[tuple[Run, int]],
                 num_classes: Callable[[], int]) -> Path | None:
    """Stage ``tta oof``: accuracy and log loss of each TTA run's validation folds without
    and with TTA, pooled (``<work_dir>/tta_oof.json`` + ``.txt``); None when no run has TTA."""
    pairs: dict[str, dict[int, tuple[Path, Path]]] = {}
    for run, fold in validated:
        if tta_of(m, run):
            wd = run_dir(m, run, fold)
            pairs.setdefault(run.name, {})[fold] = (wd / 'val_preds.pkl', wd / 'val_preds_tta.pkl')
    if not pairs:
        return None
    out = m.work_dir / 'tta_oof.json'

    def do_tta_oof() -> dict:
        from custom_modules.evaluation.tta_effect import format_tta_effect, tta_effect
        from custom_modules.utils.atomic import atomic_write_json, atomic_write_text

        effects = {name: tta_effect(folds, num_classes()) for name, folds in pairs.items()}
        text = format_tta_effect(effects)
        atomic_write_json(out, effects)
        atomic_write_text(out.with_suffix('.txt'), text + '\n')
        print(text, flush=True)
        return {f'{name}_delta': e['delta'] for name, e in effects.items()}

    pipe.stage('tta oof', do_tta_oof, outputs=[out],
               inputs=[d for folds in pairs.values() for both in folds.values() for d in both],
               plan=lambda: [f'TTA on for {", ".join(pairs)}: validation folds also dumped '
                             f'with --tta (val_preds_tta.pkl) -> {out}'])
    return out


def demo_generator(m: Manifest):
    """The manifest's demo-data generator module (``custom_modules.demo_data.<flow>_demo``)."""
    import importlib

    return importlib.import_module(f'custom_modules.demo_data.{m.flow}_demo')


def demo_data_pending(m: Manifest) -> bool:
    """A demo manifest whose data is not (completely) generated yet."""
    return bool(m.get('demo_data')) and demo_generator(m).stale_reason(
        m.data_root, m.get('demo_seed', 0)) is not None


def demo_plan_facts(m: Manifest) -> dict[str, Any]:
    """What a dry run plans with while the demo data is still to be generated: the generator's
    own class lists (``CLASSES``, ``BOX_CLASSES``) and ``data_generated_first``."""
    gen = demo_generator(m)
    facts: dict[str, Any] = {'data_generated_first': True}
    for key, name in (('classes', 'CLASSES'), ('det_classes', 'BOX_CLASSES')):
        if hasattr(gen, name):
            facts[key] = list(getattr(gen, name))
    return facts


def data_generated_first(m: Manifest) -> bool:
    """A dry run of a demo manifest whose data the first stage would generate: the flows plan
    their stages without reading the data (the preflight set it, :func:`demo_plan_facts`)."""
    return bool(m.facts.get('data_generated_first'))


def inputs_to_check(m: Manifest, paths: Sequence[Path]) -> Sequence[Path]:
    """The data paths a flow requires before it plans; none while the demo data is still to
    be generated (a dry run: the generator writes them first)."""
    return () if data_generated_first(m) else paths


def demo_data_refusal(m: Manifest, force: bool = False) -> str | None:
    """What the ``generate demo data`` stage would refuse with (a folder the user changed, or
    one the generator did not make), so that ``--dry-run`` says it too; None: it would run."""
    if not m.get('demo_data'):
        return None
    return demo_generator(m).FOLDER.check(m.data_root, m.get('demo_seed', 0), force=force)


def generate_demo_data(m: Manifest, pipe: Pipeline) -> None:
    """Stage ``generate demo data`` of a demo manifest: idempotent, seconds, before preflight.

    A data folder changed since the generator made it is refused (exit 2) unless ``--force``
    (``pipe.force``), which rewrites the generator's own files and keeps every other file.
    """
    if m.get('demo_data'):
        gen, seed = demo_generator(m), m.get('demo_seed', 0)

        def plan() -> list[str]:
            reason = gen.stale_reason(m.data_root, seed)
            classes = getattr(gen, 'CLASSES', None)
            return [f'synthetic data (seed {seed}) into {m.data_root}, before the stages below: '
                    + (f'generated ({reason})' if reason else 'complete, nothing to regenerate')
                    + (f'; classes: {", ".join(classes)}' if classes else '')]

        pipe.stage('generate demo data', lambda: {'generated': int(
            gen.generate(m.data_root, seed, force=pipe.force))}, plan=plan)


def listed_classes(m: Manifest, path: Path, key: str = 'classes') -> list[str]:
    """The class list preprocessing wrote at ``path``; before it exists (a dry run), the one the
    preflight read from the data (``m.facts[key]``)."""
    from custom_modules.utils.validation import read_lines

    if path.is_file():
        return read_lines(path)
    if key not in m.facts:
        raise InputError(f'{path} does not exist yet: the preprocessing stage writes it '
                         '(run without --dry-run, or with FORCE=1 to redo that stage)')
    return list(m.facts[key] or [])


def extract_options(m: Manifest):
    """The manifest's frame-extraction options (``extract.options``) as ``ExtractOptions``."""
    from custom_modules.data_prep.frame_records import ExtractOptions

    return ExtractOptions(**m.get('extract', {}).get('options', {}))


def extraction_plan(m: Manifest, videos: Sequence[Path], rawframes: Path) -> list[str]:
    """What ``extract frames`` would do: how many videos are new and where their frames go."""
    from custom_modules.data_prep.frame_records import completed_record

    if data_generated_first(m):
        return [f'every video of the generated demo data, into {rawframes}']
    options = extract_options(m)
    done = sum(completed_record(rawframes / v.stem, v, options) is not None for v in videos)
    return [f'{len(videos) - done} of {len(videos)} video(s) to extract into {rawframes} '
            f'({done} already complete are skipped)']
