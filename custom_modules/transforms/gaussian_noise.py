"""Additive Gaussian pixel noise (albumentations' GaussNoise), which mmpretrain lacks."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from ..registry import register_in


@register_in(scopes=('mmpretrain', ), registry='TRANSFORMS')
class GaussianNoise(BaseTransform):
    """With probability ``prob``, add ``N(0, sigma^2)`` noise to ``results['img']``.

    ``sigma`` (pixel values, 0-255 scale) is drawn uniformly in ``std_range`` per image; the
    result is clipped and keeps the image's dtype.

    Args:
        std_range: ``(min, max)`` standard deviation in pixel values.
        per_channel: Independent noise per channel (else one noise plane for all channels).
        prob: Probability of adding noise.
    """

    def __init__(self, std_range: tuple[float, float] = (3.0, 10.0), per_channel: bool = True,
                 prob: float = 0.5) -> None:
        low, high = std_range
        if not 0 <= low <= high or not 0 <= prob <= 1:
            raise ValueError(f'need 0 <= std_range[0] <= std_range[1] and 0 <= prob <= 1, got '
                             f'{std_range}, {prob}')
        self.std_range = (float(low), float(high))
        self.per_channel = per_channel
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        rng = np.random.default_rng(np.random.randint(2**31))
        sigma = rng.uniform(*self.std_range)
        shape = img.shape if self.per_channel or img.ndim == 2 else img.shape[:2] + (1, )
        noisy = img.astype(np.float32) + rng.normal(0.0, sigma, shape).astype(np.float32)
        limit = 255 if img.dtype == np.uint8 else None
        if limit is not None:
            noisy = np.clip(np.rint(noisy), 0, limit)
        results['img'] = noisy.astype(img.dtype)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(std_range={self.std_range}, '
                f'per_channel={self.per_channel}, prob={self.prob})')
