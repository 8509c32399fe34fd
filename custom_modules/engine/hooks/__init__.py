"""Registered podium hooks; importing this package registers them."""
from .best_metrics_checkpoint import BestMetricsCheckpointHook
from .progressive_unfreeze import ProgressiveUnfreezeHook, find_stages

__all__ = ['BestMetricsCheckpointHook', 'ProgressiveUnfreezeHook', 'find_stages']
