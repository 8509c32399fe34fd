"""Registered podium datasets; importing this package registers them."""
from .localize_images import LocalizeDataset
from .samplers import ClassBalancedSampler
from .synthetic_patterns import SyntheticPatternDataset

__all__ = ['ClassBalancedSampler', 'LocalizeDataset', 'SyntheticPatternDataset']
