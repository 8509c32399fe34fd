"""A generated, deterministic image dataset: SYNTHETIC stripe/checker patterns.

It needs no files, so the toy config and the tests train a real classifier through the real
Runner in seconds on any machine. Each image is a noisy ``size x size`` pattern of one of three
classes; the pattern's period, phase and colours vary per sample.
"""
from __future__ import annotations

import numpy as np
from mmpretrain.datasets import BaseDataset

from ..registry import register_in

PATTERNS = ('horizontal_stripes', 'vertical_stripes', 'checkerboard')


def draw_pattern(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """One ``[size, size, 3]`` uint8 image of pattern ``label`` with random period/colour/noise."""
    period = int(rng.integers(4, max(5, size // 3)))
    phase = int(rng.integers(0, period))
    ys, xs = np.mgrid[0:size, 0:size]
    rows = ((ys + phase) // (period // 2 or 1)) % 2
    cols = ((xs + phase) // (period // 2 or 1)) % 2
    mask = (rows, cols, rows ^ cols)[label].astype(bool)
    fg, bg = rng.integers(0, 256, size=(2, 3))
    while np.abs(fg - bg).sum() < 150:  # keep the pattern visible
        fg, bg = rng.integers(0, 256, size=(2, 3))
    img = np.where(mask[..., None], fg, bg).astype(np.float32)
    img += rng.normal(0, 12, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@register_in(scopes=('mmpretrain', ), registry='DATASETS')
class SyntheticPatternDataset(BaseDataset):
    """SYNTHETIC classification data generated in memory (no annotation file).

    Args:
        num_samples: number of images.
        image_size: side of the square images.
        seed: base seed; sample ``i`` uses ``seed + i`` so splits with different seeds differ.
        **kwargs: passed to mmpretrain's ``BaseDataset`` (pipeline, test_mode, ...).
    """

    METAINFO = {'classes': PATTERNS}

    def __init__(self, num_samples: int = 96, image_size: int = 32, seed: int = 0,
                 **kwargs) -> None:
        self.num_samples = num_samples
        self.image_size = image_size
        self.seed = seed
        kwargs.setdefault('ann_file', '')
        super().__init__(**kwargs)

    def load_data_list(self) -> list[dict]:
        data_list = []
        for i in range(self.num_samples):
            rng = np.random.default_rng(self.seed * 1_000_003 + i)
            label = i % len(PATTERNS)
            data_list.append(dict(img=draw_pattern(label, self.image_size, rng), gt_label=label,
                                  sample_id=f'synthetic_{self.seed}_{i:05d}'))
        return data_list
