"""Registered podium data samplers; importing this package registers them."""
from .class_balanced import ClassBalancedSampler

__all__ = ['ClassBalancedSampler']
