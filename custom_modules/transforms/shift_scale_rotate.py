"""Random shift, scale and rotation in one affine warp (albumentations' ShiftScaleRotate)."""
from __future__ import annotations

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from ..registry import register_in

BORDERS = {'constant': cv2.BORDER_CONSTANT, 'reflect': cv2.BORDER_REFLECT_101,
           'replicate': cv2.BORDER_REPLICATE}


@register_in(scopes=('mmpretrain', ), registry='TRANSFORMS')
class RandomShiftScaleRotate(BaseTransform):
    """With probability ``prob``, warp ``results['img']`` by a random affine transform.

    mmpretrain has ``Rotate``/``Translate`` (one geometric change each, PIL); dashcam frames
    want the origin's combined jitter, one interpolation, the image size unchanged.

    Args:
        shift_limit: Max shift as a fraction of width/height, drawn in ``[-l, l]`` per axis.
        scale_limit: Scale drawn in ``[1 - l, 1 + l]``.
        rotate_limit: Angle in degrees drawn in ``[-l, l]``.
        prob: Probability of applying the warp.
        border: ``constant`` (filled with ``fill``), ``reflect`` or ``replicate``.
        fill: Border value for ``constant``.
        interpolation: ``bilinear`` or ``nearest``.
    """

    def __init__(self, shift_limit: float = 0.0625, scale_limit: float = 0.1,
                 rotate_limit: float = 15.0, prob: float = 0.5, border: str = 'reflect',
                 fill: int | tuple[int, ...] = 0, interpolation: str = 'bilinear') -> None:
        if border not in BORDERS:
            raise ValueError(f'border must be one of {sorted(BORDERS)}, got {border!r}')
        if interpolation not in ('bilinear', 'nearest'):
            raise ValueError(f'interpolation must be bilinear or nearest, got {interpolation!r}')
        if not 0 <= prob <= 1 or shift_limit < 0 or not 0 <= scale_limit < 1 or rotate_limit < 0:
            raise ValueError('need 0 <= prob <= 1, shift_limit >= 0, 0 <= scale_limit < 1, '
                             'rotate_limit >= 0')
        self.shift_limit = shift_limit
        self.scale_limit = scale_limit
        self.rotate_limit = rotate_limit
        self.prob = prob
        self.border = border
        self.fill = fill
        self.interpolation = interpolation

    def matrix(self, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
        """A random ``[2, 3]`` affine matrix about the image centre."""
        angle = rng.uniform(-self.rotate_limit, self.rotate_limit)
        scale = rng.uniform(1 - self.scale_limit, 1 + self.scale_limit)
        dx, dy = rng.uniform(-self.shift_limit, self.shift_limit, size=2)
        m = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
        m[0, 2] += dx * width
        m[1, 2] += dy * height
        return m

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        h, w = img.shape[:2]
        m = self.matrix(w, h, np.random.default_rng(np.random.randint(2**31)))
        fill = self.fill if isinstance(self.fill, (int, float)) else tuple(self.fill)
        flags = cv2.INTER_LINEAR if self.interpolation == 'bilinear' else cv2.INTER_NEAREST
        results['img'] = cv2.warpAffine(img, m, (w, h), flags=flags,
                                        borderMode=BORDERS[self.border], borderValue=fill)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(shift_limit={self.shift_limit}, scale_limit='
                f'{self.scale_limit}, rotate_limit={self.rotate_limit}, prob={self.prob}, '
                f'border={self.border!r})')
