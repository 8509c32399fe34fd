"""Dataset statistics for configs: class counts, image/video sizes, durations, channel mean/std.

Mean and std are per channel in RGB order on the 0-255 scale, over a seeded sample of images
(or frames), each shrunk to a short side of `short_side` pixels first (for speed). That is what
OpenMMLab's data preprocessors take: mmpretrain `dict(mean=..., std=..., to_rgb=True)`, mmdet
`bgr_to_rgb=True` (images load as BGR, the preprocessor flips them), mmaction2
`ActionDataPreprocessor(mean=..., std=...)` (RawFrameDecode already yields RGB).
The command line is tools/data/stats.py.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import cv2
import numpy as np
from tqdm import tqdm

from custom_modules.utils.errors import PodiumError
from custom_modules.utils.images import image_size, list_images
from custom_modules.utils.validation import Problems, read_table
from custom_modules.utils.video import VIDEO_EXTS, BadVideo, find_videos, probe_video

from .frame_records import load_frame_records


def class_counts(csv: str | Path, column: str) -> dict[str, int]:
    """Samples per class in `column` of `csv`, most frequent first."""
    problems = Problems()
    df = read_table(csv, [column], problems)
    problems.raise_if_any()
    return dict(Counter(df[column]).most_common())


def _summary(values: Sequence[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return {}
    return {'min': float(a.min()), 'max': float(a.max()), 'mean': round(float(a.mean()), 3),
            'median': float(np.median(a))}


def size_stats(sizes: Sequence[tuple[int, int]]) -> dict:
    """Width/height summaries and the most common sizes of (width, height) pairs."""
    common = Counter(f'{w}x{h}' for w, h in sizes).most_common(10)
    return {
        'count': len(sizes),
        'width': _summary([w for w, _ in sizes]),
        'height': _summary([h for _, h in sizes]),
        'most_common_sizes': dict(common),
    }


def image_stats(paths: Sequence[Path], workers: int = 8) -> dict:
    """Size statistics of images (headers only) plus a list of unreadable ones."""
    with ThreadPoolExecutor(workers) as pool:
        sizes = list(tqdm(pool.map(image_size, paths), total=len(paths), desc='image sizes',
                          unit='img', leave=False))
    bad = {str(p): s for p, s in zip(paths, sizes) if isinstance(s, str)}
    stats = size_stats([s for s in sizes if not isinstance(s, str)])
    stats['unreadable'] = bad
    return stats


def video_stats(videos: Sequence[Path]) -> dict:
    """Size, fps, declared frame count and duration statistics of videos (container metadata)."""
    probes, bad = [], {}
    for v in tqdm(videos, desc='videos', unit='video', leave=False):
        try:
            probes.append(probe_video(v))
        except (av.FFmpegError, BadVideo, OSError) as err:
            bad[str(v)] = str(err)
    stats = size_stats([(p['width'], p['height']) for p in probes])
    stats.update({
        'fps': _summary([p['fps'] for p in probes]),
        'frames': _summary([p['declared_frames'] for p in probes]),
        'duration_s': _summary([p['duration'] for p in probes]),
        'total_duration_s': round(sum(p['duration'] for p in probes), 3),
        'unreadable': bad,
    })
    return stats


def rawframe_stats(root: str | Path, records: dict | None = None) -> dict:
    """Statistics of extracted videos from their records (no media is opened).

    ``records`` are ``load_frame_records(root)`` when the caller has them already.
    """
    records = list((records if records is not None else load_frame_records(root)).values())
    stats = size_stats([(r.source_width, r.source_height) for r in records])
    stats.update({
        'frame_size': size_stats([(r.width, r.height) for r in records])['most_common_sizes'],
        'fps': _summary([r.source_fps for r in records]),
        'frames': _summary([r.total_frames for r in records]),
        'duration_s': _summary([r.duration for r in records]),
        'total_duration_s': round(sum(r.duration for r in records), 3),
    })
    return stats


def _load_rgb(path: Path, short_side: int) -> np.ndarray | None:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        return None
    return _resize_rgb(img, short_side)


def _resize_rgb(bgr: np.ndarray, short_side: int) -> np.ndarray:
    h, w = bgr.shape[:2]
    if short_side and min(h, w) > short_side:  # shrink only: it is for speed
        s = short_side / min(h, w)
        bgr = cv2.resize(bgr, (max(1, round(w * s)), max(1, round(h * s))),
                         interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class _MeanStd:
    """Running per-channel sums in float64 (exact enough for billions of pixels)."""

    def __init__(self) -> None:
        self.n = 0
        self.s = np.zeros(3)
        self.ss = np.zeros(3)
        self.images = 0

    def add(self, rgb: np.ndarray) -> None:
        px = rgb.reshape(-1, 3).astype(np.float64)
        self.n += len(px)
        self.s += px.sum(0)
        self.ss += np.einsum('ij,ij->j', px, px)
        self.images += 1

    def result(self, short_side: int) -> dict:
        if self.n == 0:
            raise PodiumError('no readable image in the sample')
        mean = self.s / self.n
        std = np.sqrt(np.maximum(self.ss / self.n - mean**2, 0))
        return {'mean': [round(float(m), 3) for m in mean],
                'std': [round(float(s), 3) for s in std],
                'channel_order': 'RGB', 'value_range': '0-255', 'samples': self.images,
                'resize_short_side': short_side}


def mean_std_images(paths: Sequence[Path], sample: int = 1000, short_side: int = 128,
                    seed: int = 0, workers: int = 8) -> dict:
    """Per-channel mean/std (RGB, 0-255) of up to `sample` images picked with `seed`."""
    paths = list(paths)
    rng = np.random.default_rng(seed)
    if len(paths) > sample:
        paths = [paths[i] for i in sorted(rng.choice(len(paths), sample, replace=False))]
    acc = _MeanStd()
    with ThreadPoolExecutor(workers) as pool:  # cv2 decodes without the GIL
        for rgb in tqdm(pool.map(lambda p: _load_rgb(p, short_side), paths), total=len(paths),
                        desc='mean/std', unit='img', leave=False):
            if rgb is not None:
                acc.add(rgb)
    return acc.result(short_side)


def mean_std_videos(videos: Sequence[Path], sample: int = 1000, short_side: int = 128,
                    seed: int = 0) -> dict:
    """Per-channel mean/std (RGB, 0-255) of about `sample` frames spread over the videos."""
    videos = list(videos)
    rng = np.random.default_rng(seed)
    per_video = max(1, sample // max(1, len(videos)))
    if len(videos) > sample:
        videos = [videos[i] for i in sorted(rng.choice(len(videos), sample, replace=False))]
    acc = _MeanStd()
    for v in tqdm(videos, desc='mean/std', unit='video', leave=False):
        try:
            with av.open(str(v)) as container:
                stream = container.streams.video[0]
                n = int(stream.frames or 0)  # declared count; 0 = unknown: take the first ones
                picks = set(np.linspace(0, n - 1, min(per_video, n)).round().astype(int).tolist())
                last = max(picks) if picks else per_video - 1
                for i, frame in enumerate(container.decode(stream)):
                    if i in picks or not picks:
                        acc.add(_resize_rgb(frame.to_ndarray(format='bgr24'), short_side))
                    if i >= last:
                        break
        except (av.FFmpegError, OSError, IndexError):
            continue
    return acc.result(short_side)


def rawframe_paths(root: str | Path, records: dict) -> list[Path]:
    """Every frame file of every extracted video under `root`, from its records."""
    root = Path(root)
    return [root / rec.frame_path(i) for rec in records.values()
            for i in range(1, rec.total_frames + 1)]


def compute(*, images: Path | None = None, videos: Path | None = None,
            rawframes: Path | None = None, csv: Path | None = None, label_col: str = 'label',
            sample: int = 1000, short_side: int = 128, seed: int = 0, workers: int = 8,
            mean_std: bool = True) -> dict:
    """Every statistic asked for, as one JSON-ready dict.

    Args:
        images: Image folder (searched recursively).
        videos: Video folder (searched recursively); used only without `images`.
        rawframes: Extraction root (records and frames); used only without `images`.
        csv: Annotation CSV whose `label_col` gives the class counts.
        sample: Images or frames for the mean/std.
        short_side: Short side each sample is shrunk to before the mean/std.
        seed: Sampling seed.
        workers: Reader threads.
        mean_std: Also compute the pixel statistics.
    """
    out: dict = {}
    if csv:
        out['classes'] = class_counts(csv, label_col)
    ms = None
    if images:
        paths = [Path(images) / r for r in list_images(images)]
        out['images'] = image_stats(paths, workers)
        if mean_std:
            ms = mean_std_images(paths, sample, short_side, seed, workers)
    elif rawframes:
        records = load_frame_records(rawframes)  # every meta.json, read once
        out['videos'] = rawframe_stats(rawframes, records)
        if mean_std:
            ms = mean_std_images(rawframe_paths(rawframes, records), sample, short_side, seed,
                                 workers)
    elif videos:
        found = find_videos(videos, VIDEO_EXTS)
        out['videos'] = video_stats(found)
        if mean_std:
            ms = mean_std_videos(found, sample, short_side, seed)
    if ms is not None:
        out['mean_std'] = ms
        out['data_preprocessor'] = {'mean': ms['mean'], 'std': ms['std']}
    return out


def format_report(stats: dict) -> str:
    """A short human-readable summary of `compute`'s result."""
    lines = []
    if 'classes' in stats:
        total = sum(stats['classes'].values())
        lines.append(f'classes: {len(stats["classes"])}, samples: {total}')
        lines += [f'  {name:<24} {n:>7}  {100 * n / total:5.1f}%'
                  for name, n in stats['classes'].items()]
    for key in ('images', 'videos'):
        if key in stats:
            s = stats[key]
            lines.append(f'{key}: {s["count"]}, width {s["width"]}, height {s["height"]}')
            lines.append(f'  most common sizes: {s["most_common_sizes"]}')
            for extra in ('fps', 'frames', 'duration_s', 'total_duration_s'):
                if extra in s:
                    lines.append(f'  {extra}: {s[extra]}')
            if s.get('unreadable'):
                lines.append(f'  unreadable: {len(s["unreadable"])} (listed in the JSON)')
    if 'mean_std' in stats:
        m = stats['mean_std']
        lines.append(f'mean (RGB, 0-255): {m["mean"]}  std: {m["std"]}  '
                     f'({m["samples"]} samples, short side {m["resize_short_side"]})')
        lines.append(f'  data_preprocessor = dict(mean={m["mean"]}, std={m["std"]}, ...)')
    return '\n'.join(lines)
