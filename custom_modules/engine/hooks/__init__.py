"""Registered podium hooks; importing this package registers them."""
from .progressive_unfreeze import ProgressiveUnfreezeHook, find_stages

__all__ = ['ProgressiveUnfreezeHook', 'find_stages']
