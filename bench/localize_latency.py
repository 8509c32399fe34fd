"""Batch-1 inference latency of the localize model: podium's path vs the bare forward.

One process builds the localize config's model (EfficientNet-B0 + BBoxRegHead at 448 px by
default; random weights: latency does not depend on them) and times, per image, alternately:

- podium: what ``tools/test.py`` / the solution do for one decoded image of its own size: the
  config's test pipeline after loading (``Letterbox`` + ``BoxTarget`` + ``PackInputs``), the
  data preprocessor (to float, BGR->RGB, normalise, batch), ``model(mode='predict')`` (backbone,
  neck, head, softmax/sigmoid) and the inverse letterbox to the box in original pixels.
- bare: ``backbone -> neck -> head.forward`` on an already letterboxed, normalised
  ``[1, 3, S, S]`` tensor on the device: the model and nothing else.

Images are generated (seeded) with varied sizes around 640 x 480, as photos would be. Warm-up
first, then the two columns interleaved (A B, B A...) so that machine noise hits both alike.
Results are printed and written to ``<work-dir>/localize_latency.json``.

    python bench/localize_latency.py [--config CONFIG] [--images 20] [--warmup 3] \
        [--rounds 3] [--device auto|cpu|cuda] [--threads N] [--work-dir work_dirs/bench]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import custom_modules  # noqa: E402, F401, I001  (registration)
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import Compose  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402

from custom_modules.utils.atomic import atomic_write  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = (REPO_ROOT / 'configs/localize/'
                  'efficientnet-b0-bboxreg_4xb16-cos-30e_localize-letterbox-448px.py')


def make_images(n: int, seed: int = 0) -> list[np.ndarray]:
    """Seeded BGR uint8 images of varied sizes around 640 x 480 (landscape and portrait)."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        w, h = int(rng.integers(480, 800)), int(rng.integers(360, 640))
        if rng.random() < 0.3:
            w, h = h, w
        images.append(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return images


def build(config: str | Path, device: torch.device):
    """The config's model (eval, on ``device``) and its test pipeline without file loading."""
    cfg = Config.fromfile(str(config))
    steps = [t for t in cfg.test_dataloader.dataset.pipeline if t['type'] != 'LoadImageFromFile']
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        model = MODELS.build(cfg.model)
        pipeline = Compose(steps)
    model.init_weights()
    model.to(device).eval()
    return model, pipeline, cfg


def timed(fn: Callable[[], object], device: torch.device) -> float:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    fn()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return (time.perf_counter() - t0) * 1000


def podium_step(model, pipeline, img: np.ndarray) -> np.ndarray:
    """Letterbox -> pack -> preprocess -> predict -> box in original pixels."""
    h, w = img.shape[:2]
    packed = pipeline(dict(img=img, ori_shape=(h, w), img_shape=(h, w), sample_id='bench'))
    batch = model.data_preprocessor(dict(inputs=[packed['inputs']],
                                         data_samples=[packed['data_samples']]), False)
    sample = model(batch['inputs'], batch['data_samples'], mode='predict')[0]
    return sample.pred_bbox.numpy()  # already on the CPU: mapped back by the head


def bare_step(model, tensor: torch.Tensor):
    feats = model.backbone(tensor)
    return model.head(model.neck(feats) if model.neck is not None else feats)


def summary(times: list[float]) -> dict[str, float]:
    return {'median_ms': statistics.median(times), 'mean_ms': statistics.fmean(times),
            'min_ms': min(times), 'max_ms': max(times)}


def run(config: str | Path = DEFAULT_CONFIG, n_images: int = 20, warmup: int = 3,
        rounds: int = 3, device: str = 'auto', threads: int | None = None) -> dict:
    if threads:
        torch.set_num_threads(threads)
    dev = torch.device('cuda' if device == 'auto' and torch.cuda.is_available() else
                       ('cpu' if device == 'auto' else device))
    model, pipeline, cfg = build(config, dev)
    size = next(t.size for t in pipeline.transforms if type(t).__name__ == 'Letterbox')
    images = make_images(n_images)
    # The bare column's input: the same images, letterboxed and normalised in advance.
    tensors = []
    with torch.inference_mode():
        for img in images:
            packed = pipeline(dict(img=img, ori_shape=img.shape[:2], img_shape=img.shape[:2]))
            tensors.append(model.data_preprocessor(
                dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]),
                False)['inputs'])
        for i in range(warmup):
            podium_step(model, pipeline, images[i % n_images])
            bare_step(model, tensors[i % n_images])
        times: dict[str, list[float]] = {'podium': [], 'bare': []}
        for r in range(rounds):
            for i, (img, tensor) in enumerate(zip(images, tensors)):
                order = ('podium', 'bare') if (r * n_images + i) % 2 == 0 else ('bare', 'podium')
                for name in order:
                    fn = (lambda img=img: podium_step(model, pipeline, img)) \
                        if name == 'podium' else (lambda tensor=tensor: bare_step(model, tensor))
                    times[name].append(timed(fn, dev))
    podium, bare = summary(times['podium']), summary(times['bare'])
    return {
        'config': str(config), 'backbone': cfg.model.backbone.get('type'),
        'arch': cfg.model.backbone.get('arch'), 'input_size': size, 'batch': 1,
        'images': n_images, 'rounds': rounds, 'warmup': warmup,
        'device': torch.cuda.get_device_name(dev) if dev.type == 'cuda' else
        f'CPU ({platform.processor() or platform.machine()})',
        'torch': torch.__version__, 'torch_threads': torch.get_num_threads(),
        'podium': podium, 'bare': bare,
        'ratio_median': podium['median_ms'] / bare['median_ms'],
        'ratio_mean': podium['mean_ms'] / bare['mean_ms'],
        'times_ms': times,
        'measured': time.strftime('%Y-%m-%d %H:%M:%S'),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=str(DEFAULT_CONFIG), help='localize config')
    parser.add_argument('--images', type=int, default=20, help='distinct images per round')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps of each column')
    parser.add_argument('--rounds', type=int, default=3, help='timed passes over the images')
    parser.add_argument('--device', default='auto', choices=['auto', 'cpu', 'cuda'])
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--work-dir', default='work_dirs/bench', help='where the JSON goes')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args.config, args.images, args.warmup, args.rounds, args.device, args.threads)
    p, b = result['podium'], result['bare']
    name = result['arch'] or result['backbone']
    print(f'{result["backbone"]} {name} + BBoxRegHead, batch 1 at {result["input_size"]} px, '
          f'{result["images"]} images x {result["rounds"]} rounds on {result["device"]} '
          f'(torch {result["torch"]}, {result["torch_threads"]} threads)')
    print(f'podium path (letterbox + preprocess + predict + inverse): {p["median_ms"]:.2f} ms/'
          f'image median, {p["mean_ms"]:.2f} mean')
    print(f'bare model forward:                                       {b["median_ms"]:.2f} ms/'
          f'image median, {b["mean_ms"]:.2f} mean')
    print(f'ratio podium/bare: {result["ratio_median"]:.3f} (median), '
          f'{result["ratio_mean"]:.3f} (mean)')
    out = Path(args.work_dir) / 'localize_latency.json'
    with atomic_write(out, 'w', encoding='utf-8') as f:
        json.dump(result, f, indent=2)
    print(out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
