"""The crash flow: per-frame "crush moment" probabilities of dashcam videos.

train:     (demo data) -> extract train frames -> frame table + k-fold by video -> train each
           run x fold (class-balanced sampler, best checkpoint by validation AUC) -> curves.png
inference: every test video through custom_modules.apis.infer_video, per run x fold, the
           videos shared among N processes -> per-video CSVs -> weighted mean over runs
           and folds, aligned by (video, frame) ->
           ``submission.csv`` (video,frame_id,pred) -> metrics when the test labels exist ->
           annotated videos on request.

Every stage is skipped when its outputs are complete and newer than its inputs; an
interrupted training resumes from its last checkpoint.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from custom_modules.utils.errors import InputError
from custom_modules.utils.video import find_videos

from .cv import fold_cv_stage
from .manifest import Manifest, Run
from .stages import Pipeline, touch_marker
from .steps import (
    checkpoint_for,
    checkpoint_stamp,
    extract_options,
    extraction_plan,
    inputs_to_check,
    run_dir,
    stamped,
    train_step,
)

ANNOTATE_ENV = 'CRASH_ANNOTATE'


class CrashPaths:
    """Where the crash flow reads and writes, from the manifest's inputs."""

    def __init__(self, m: Manifest) -> None:
        inputs = m.get('inputs', {})
        root = m.data_root
        self.root = root
        self.train_videos = root / inputs.get('train_videos', 'train')
        self.train_labels = root / inputs.get('train_labels', 'train_labels')
        self.test_videos = root / inputs.get('test_videos', 'test')
        self.test_labels = root / inputs.get('test_labels', 'test_labels')
        self.rawframes = root / 'rawframes'
        self.lists = root / 'lists'

    def test_video_files(self) -> list[Path]:
        from custom_modules.utils.video import find_videos

        return find_videos(self.test_videos)

    @property
    def has_test_labels(self) -> bool:
        return self.test_labels.is_dir() and any(self.test_labels.glob('*.csv'))


def prepare_data(m: Manifest, pipe: Pipeline, p: CrashPaths) -> None:
    """Train frame extraction (resumable), then the frame lists."""
    for required in inputs_to_check(m, (p.train_videos, p.train_labels, p.test_videos)):
        if not required.exists():
            raise InputError(f'{m.name}: missing {required} (data contract: '
                             f'docs/solutions/crash.md); set DATA_ROOT to your data folder')
    pipe.stage('extract frames', lambda: extract(m, p),
               plan=lambda: extraction_plan(m, find_videos(p.train_videos), p.rawframes))
    inputs = [m.path, *p.train_labels.glob('*.csv'), *p.rawframes.glob('*/meta.json')]
    pipe.stage('preprocess lists', lambda: preprocess(m, p), inputs=inputs,
               outputs=[p.lists / 'split.json', p.lists / 'frames.csv'])


def extract(m: Manifest, p: CrashPaths) -> dict:
    """Frames of the training videos (test videos are read directly by the inference); a
    partial one (fewer frames decode than it declares) is kept, with a warning line."""
    from custom_modules.data_prep.frame_extraction import extract_videos
    from custom_modules.utils.video import find_videos

    videos = find_videos(p.train_videos)
    if not videos:
        raise InputError(f'no videos in {p.train_videos}')
    report = extract_videos(videos, p.rawframes, extract_options(m),
                            workers=m.get('extract', {}).get('workers'))
    if not report.ok:
        bad = '; '.join(f'{r.video}: {r.reason}' for r in report.failed[:5])
        raise InputError(f'{len(report.failed)} videos could not be decoded ({bad}); see '
                         f'{p.rawframes / "extract_report.json"}')
    # A partial video is usable (its decoded frames are kept); extraction printed a line for it.
    return {'videos': len(videos), **({'partial': len(report.partial)} if report.partial else {})}


def preprocess(m: Manifest, p: CrashPaths) -> dict:
    from custom_modules.data_prep.crash_lists import prepare_crash

    settings = m.get('preprocess', {})
    frames = prepare_crash(p.train_labels, p.rawframes, p.lists,
                           folds=settings.get('folds', 5), seed=settings.get('seed', 0),
                           frame_col=settings.get('frame_col'),
                           type_col=settings.get('type_col')).frames
    return {'frames': len(frames), 'crash_frames': int(frames['target'].sum())}


def wiring(p: CrashPaths, fold: int) -> dict[str, Any]:
    """``--cfg-options`` pointing a run's config at this dataset's fold lists and frames."""
    frames = str(p.rawframes.resolve()) + '/'
    lists = p.lists.resolve()
    options: dict[str, Any] = {}
    for split, ann in (('train', f'train_fold{fold}.txt'), ('val', f'val_fold{fold}.txt'),
                       ('test', f'val_fold{fold}.txt')):
        options[f'{split}_dataloader.dataset.data_root'] = ''
        options[f'{split}_dataloader.dataset.ann_file'] = str(lists / ann)
        options[f'{split}_dataloader.dataset.data_prefix.img_path'] = frames
    return options


def best_metrics(wd: Path) -> dict[str, float]:
    """The validation scores of the run's best checkpoint (BestMetricsCheckpointHook's record)."""
    state = wd / 'best_checkpoint.json'
    if not state.is_file():
        return {}
    best = json.loads(state.read_text())
    return {k: v for k, v in best.get('metrics', {}).items() if k.startswith('crash/')}


def train_all(m: Manifest, gpus: int, pipe: Pipeline) -> None:
    p = CrashPaths(m)
    prepare_data(m, pipe, p)
    for fold in m.folds:
        for run in m.runs:
            wd = run_dir(m, run, fold)
            train_step(m, pipe, run, fold, gpus, wiring(p, fold),
                       inputs=[p.lists / f'train_fold{fold}.txt'],
                       metrics=lambda wd=wd: best_metrics(wd))
    # each fold's best-checkpoint validation scores, their mean and std (no OOF table here)
    fold_cv_stage(m, pipe, m.runs, lambda run, fold: best_metrics(run_dir(m, run, fold)),
                  [run_dir(m, r, f) / 'done.json' for r in m.runs for f in m.folds], 'crash/auc')


def annotate_requested(m: Manifest) -> bool:
    """Annotated test videos: the manifest's ``annotate_videos``, or ``CRASH_ANNOTATE=1``."""
    env = os.environ.get(ANNOTATE_ENV)
    if env is not None and env != '':
        return env not in ('0', 'false', 'False', 'no')
    return bool(m.get('annotate_videos', False))


def inference_devices(gpus: int, workers: int) -> list[str]:
    """The device of each of ``workers`` processes: ``cuda:i`` (one GPU each, round robin when
    there are fewer GPUs) with CUDA and ``gpus >= 1``, else the CPU."""
    import torch

    if gpus >= 1 and torch.cuda.is_available():
        return [f'cuda:{i % torch.cuda.device_count()}' for i in range(workers)]
    return ['cpu'] * workers


def shards(videos: list[Path], n: int) -> list[list[Path]]:
    """``videos`` dealt round robin to at most ``n`` non-empty shards (similar total lengths
    when the list is sorted by size, as :func:`pending_videos` returns it)."""
    n = max(1, min(n, len(videos)))
    return [videos[i::n] for i in range(n)] if videos else []


def pending_videos(out_dir: Path, videos: list[Path], key: str, force: bool) -> list[Path]:
    """The videos still to predict into ``out_dir``, largest first.

    Each per-video CSV is written atomically, so one that exists is complete: an interrupted
    inference resumes with the videos it had not finished, whichever process had them. Its
    CSVs count only for the same ``key`` (checkpoint, videos, options: ``progress.json``); with
    another key or ``force``, every CSV is redone.
    """
    from custom_modules.utils.atomic import atomic_write_json

    progress = out_dir / 'progress.json'
    if force or not progress.is_file() or json.loads(progress.read_text()).get('key') != key:
        for old in [*out_dir.glob('*.csv'), out_dir / 'done.json']:
            old.unlink(missing_ok=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(progress, {'key': key})
    todo = [v for v in videos if not (out_dir / f'{v.stem}.csv').is_file()]
    return sorted(todo, key=lambda v: -v.stat().st_size)


def predict_shard(config: str, ckpt: str, cfg_options: dict | None, trust: bool, device: str,
                  videos: list[Path], out_dir: Path, settings: dict, progress: bool,
                  threads: int | None = None) -> None:
    """One process's share: each video through ``infer_video`` -> ``out_dir/<stem>.csv``
    (atomic). Picklable, for a spawned worker (``threads``: its CPU threads)."""
    import custom_modules  # noqa: F401  (a spawned process: compat patches, registration)
    from custom_modules.apis import FrameCsv, FramePredictor, infer_video

    if threads:
        import torch
        torch.set_num_threads(threads)
    predictor = FramePredictor(config, ckpt, device=device, cfg_options=cfg_options,
                               trust=[ckpt] if trust else ())
    for video in videos:
        with FrameCsv(out_dir / f'{video.stem}.csv', 'frame_id,pred') as out:
            infer_video(predictor, video, batch_size=settings.get('batch_size', 32),
                        write_rows=out.rows(), frame_base=settings.get('frame_base', 0),
                        progress=progress)


def predict_fold(m: Manifest, run: Run, ckpt: Path, wd: Path, p: CrashPaths, gpus: int,
                 force: bool = False) -> dict:
    """Every test video through ``infer_video`` with ``ckpt`` -> ``wd/test_preds/<stem>.csv``,
    shared among N = ``gpus`` processes (one per GPU; without CUDA, N CPU processes), each
    writing its videos' CSVs; the ensemble reads them by (video, frame_id). N <= 1: this
    process. Resumable per video (:func:`pending_videos`). ``--trust-checkpoints``: the file
    may be fully unpickled."""
    import hashlib
    import os

    videos = p.test_video_files()
    settings = m.get('inference', {})
    out_dir = wd / 'test_preds'
    what = [checkpoint_stamp(wd, ckpt).name, run.cfg_options, settings.get('frame_base', 0),
            [(v.name, v.stat().st_size, v.stat().st_mtime_ns) for v in videos]]
    key = hashlib.sha1(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()
    parts = shards(pending_videos(out_dir, videos, key, force), gpus)
    devices = inference_devices(gpus, len(parts))
    common = dict(config=str(run.config), ckpt=str(ckpt), cfg_options=run.cfg_options or None,
                  trust=m.trust_checkpoints, out_dir=out_dir, settings=settings)
    if len(parts) == 1:
        predict_shard(device=devices[0], videos=parts[0], progress=True, **common)
    elif parts:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        threads = max(1, (os.cpu_count() or 1) // len(parts))
        print(f'{len(videos) - sum(map(len, parts))} video(s) already predicted; '
              f'{sum(map(len, parts))} in {len(parts)} processes ({", ".join(devices)})',
              flush=True)
        with ProcessPoolExecutor(len(parts), mp_context=multiprocessing.get_context(
                'spawn')) as pool:
            jobs = [pool.submit(predict_shard, device=device, videos=part, progress=i == 0,
                                threads=threads if device == 'cpu' else None, **common)
                    for i, (device, part) in enumerate(zip(devices, parts))]
            for job in jobs:
                job.result()  # a worker's error, raised here
    frames = sum(len(frame_scores(out_dir, [v])[0]) for v in videos)
    touch_marker(out_dir / 'done.json', json.dumps({'frames': frames}))
    return {'frames': frames, **({'processes': len(parts)} if len(parts) > 1 else {})}


def inference_all(m: Manifest, gpus: int, pipe: Pipeline) -> Path:
    import numpy as np
    import pandas as pd

    p = CrashPaths(m)
    videos = p.test_video_files() if p.test_videos.is_dir() else []
    if not videos:
        raise InputError(f'{m.name}: no test videos in {p.test_videos}')
    sources: list[tuple[Path, Run]] = []  # (per-video CSV folder, its run)
    for run in m.runs:
        for fold in m.folds:
            wd = run_dir(m, run, fold)
            ckpt = checkpoint_for(m, run, fold)
            marker = wd / 'test_preds' / 'done.json'
            pipe.stage(f'infer {run.name} fold{fold}',
                       stamped(lambda run=run, ckpt=ckpt, wd=wd: predict_fold(
                           m, run, ckpt, wd, p, gpus, pipe.force), wd, ckpt),
                       inputs=[ckpt, *videos], outputs=[marker, checkpoint_stamp(wd, ckpt)])
            sources.append((wd / 'test_preds', run))

    submission = m.work_dir / 'submission.csv'

    def do_ensemble() -> dict:
        from custom_modules.predictions import average_by_id, run_file_weights
        from custom_modules.utils.atomic import atomic_write

        weights = run_file_weights([(run.name, run.weight) for _, run in sources])
        keys, pred = average_by_id([frame_scores(folder, videos) for folder, _ in sources],
                                   weights, names=[str(folder) for folder, _ in sources])
        out = pd.DataFrame(keys, columns=['video', 'frame_id'])
        out['pred'] = pred
        with atomic_write(submission, 'w', newline='') as f:
            out.to_csv(f, index=False, float_format='%.6f')
        metrics: dict[str, Any] = {'videos': len(videos), 'frames': len(out),
                                   'models': len(sources)}
        if p.has_test_labels:
            metrics.update(score_submission(out, p, m))
        return metrics

    inputs = [f / 'done.json' for f, _ in sources] + [m.path]
    pipe.stage('average folds + submission', do_ensemble, inputs=inputs, outputs=[submission])

    if annotate_requested(m):
        def do_annotate() -> dict:
            from custom_modules.apis import annotate_file

            sub = pd.read_csv(submission)
            out_dir = m.work_dir / 'annotated'
            for video in videos:
                probs = sub.loc[sub['video'] == video.stem, 'pred'].to_numpy(np.float64)
                labels_csv = p.test_labels / f'{video.stem}.csv'
                settings = m.get('inference', {})
                annotate_file(video, probs, out_dir / f'{video.stem}.mp4',
                              labels_csv if labels_csv.is_file() else None,
                              frame_base=settings.get('frame_base', 0),
                              threshold=settings.get('threshold', 0.5))
            return {'videos': len(videos)}

        pipe.stage('annotated videos', do_annotate, inputs=[submission],
                   outputs=[m.work_dir / 'annotated' / f'{v.stem}.mp4' for v in videos])
    return submission


def frame_scores(folder: Path, videos: list[Path]) -> tuple[list[tuple[str, int]], Any]:
    """One model's per-frame scores: keys ``(video stem, frame_id)`` and ``pred`` float64 [N]."""
    import numpy as np
    import pandas as pd

    parts = []
    for video in videos:
        df = pd.read_csv(folder / f'{video.stem}.csv')
        df.insert(0, 'video', video.stem)
        parts.append(df)
    df = pd.concat(parts, ignore_index=True)
    return list(zip(df['video'], df['frame_id'])), df['pred'].to_numpy(np.float64)


def score_submission(sub, p: CrashPaths, m: Manifest) -> dict[str, float]:
    """AUC / accuracy / log loss of the averaged predictions on the held-out test labels."""
    import numpy as np

    from custom_modules.apis import fit_label_count, load_frame_labels
    from custom_modules.evaluation.crash_metrics import crash_scores
    from custom_modules.utils.video import probe_video

    ys, ps = [], []
    videos = {v.stem: v for v in p.test_video_files()}
    for stem, group in sub.groupby('video', sort=False):
        labels_csv = p.test_labels / f'{stem}.csv'
        if not labels_csv.is_file():
            continue
        video = videos[stem]
        probs = group.sort_values('frame_id')['pred'].to_numpy(np.float64)
        declared = probe_video(video)['declared_frames']  # a partial video keeps its labels
        labels = fit_label_count(labels_csv, load_frame_labels(labels_csv), len(probs), video,
                                 declared)
        ys.append(labels)
        ps.append(probs)
    if not ys:
        return {}
    scores = crash_scores(np.concatenate(ys), np.concatenate(ps),
                          m.get('inference', {}).get('threshold', 0.5))
    out = {f'test_{k}': v for k, v in scores.items() if k in ('auc', 'acc', 'log_loss')}
    (m.work_dir / 'test_metrics.json').write_text(json.dumps({**scores, 'videos': len(ys)},
                                                             indent=1))
    return out

