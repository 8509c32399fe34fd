"""Letterbox (longest side to S, pad to S x S) or plain resize, with the box and its inverse."""
from __future__ import annotations

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from ..registry import register_in
from .box_geometry import compose_affine, map_boxes


@register_in(scopes=('mmpretrain', ), registry='TRANSFORMS')
class Letterbox(BaseTransform):
    """Scale the image so its longest side is ``size``, then pad it to ``size x size``.

    The per-axis scales actually used (``round(w * s) / w`` and ``round(h * s) / h``) and the pad
    are recorded (``scale_factor``, ``letterbox_pad`` = left, top, right, bottom) and composed into
    ``box_affine`` (see :mod:`.box_geometry`), so predictions map back to the original image
    exactly. ``gt_bboxes`` (``[N, 4]`` pixels), when present, are moved with the image.

    Args:
        size: Side ``S`` of the square output.
        keep_ratio: False: plain resize to ``S x S`` (aspect ratio not kept, no pad); the inverse
            works the same way.
        center: Pad evenly on both sides (True) or only right/bottom (False).
        pad_val: Grey level of the padding.
        interpolation: cv2 interpolation for upscaling; downscaling uses ``INTER_AREA``.
    """

    def __init__(self, size: int, keep_ratio: bool = True, center: bool = True,
                 pad_val: int = 114, interpolation: str = 'bilinear') -> None:
        if size < 1:
            raise ValueError(f'size must be positive, got {size}')
        self.size = int(size)
        self.keep_ratio = keep_ratio
        self.center = center
        self.pad_val = pad_val
        self.interpolation = {'bilinear': cv2.INTER_LINEAR, 'nearest': cv2.INTER_NEAREST,
                              'bicubic': cv2.INTER_CUBIC}[interpolation]

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        if self.keep_ratio:
            scale = self.size / max(h, w)
            new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
        else:
            new_w = new_h = self.size
        interp = cv2.INTER_AREA if new_w < w and new_h < h else self.interpolation
        resized = cv2.resize(img, (new_w, new_h), interpolation=interp)
        if resized.ndim == 2 and img.ndim == 3:
            resized = resized[..., None]
        left = (self.size - new_w) // 2 if self.center else 0
        top = (self.size - new_h) // 2 if self.center else 0
        canvas = np.full((self.size, self.size, *img.shape[2:]), self.pad_val, dtype=img.dtype)
        canvas[top:top + new_h, left:left + new_w] = resized
        sx, sy = new_w / w, new_h / h
        results['img'] = canvas
        results['img_shape'] = canvas.shape[:2]
        results['scale_factor'] = (sx, sy)
        results['letterbox_pad'] = (left, top, self.size - new_w - left, self.size - new_h - top)
        compose_affine(results, sx, left, sy, top)
        if results.get('gt_bboxes') is not None:
            results['gt_bboxes'] = map_boxes(results['gt_bboxes'], sx, left, sy,
                                             top).astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, keep_ratio={self.keep_ratio}, '
                f'center={self.center}, pad_val={self.pad_val})')
