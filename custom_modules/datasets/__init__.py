"""Registered podium datasets; importing this package registers them."""
from .synthetic_patterns import SyntheticPatternDataset

__all__ = ['SyntheticPatternDataset']
