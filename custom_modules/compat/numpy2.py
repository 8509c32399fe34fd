"""numpy 2 fixes for library code on podium's paths.

mmaction2 1.2.0's ``ColorJitter.adjust_hue`` adds a negative Python int to a uint8 array, which
numpy 2 refuses (``OverflowError: Python integer -9 out of bounds for uint8``) whenever the
random hue shift is negative. The replacement does the same arithmetic in int16.
"""
from __future__ import annotations

import importlib.util

import cv2
import numpy as np


def adjust_hue(img: np.ndarray, factor: float) -> np.ndarray:
    """Rotate the hue of an RGB image by ``factor`` of a turn (OpenCV's 0..179 hue scale)."""
    img = np.clip(img, 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    offset = int(factor * 255)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + offset) % 180).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32)


def patch_mmaction_color_jitter() -> bool:
    """Swap in :func:`adjust_hue` when mmaction is installed; returns whether it did."""
    if importlib.util.find_spec('mmaction') is None:
        return False
    from mmaction.datasets.transforms import processing

    processing.ColorJitter.adjust_hue = staticmethod(adjust_hue)
    return True
