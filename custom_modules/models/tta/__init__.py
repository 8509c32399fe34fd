"""Test-time augmentation models (``tools/test.py --tta``); importing registers them."""
from .mean_score_tta import MeanScoreTTA

__all__ = ['MeanScoreTTA']
