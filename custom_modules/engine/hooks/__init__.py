"""Registered podium hooks; importing this package registers them."""
from .best_metrics_checkpoint import BestMetricsCheckpointHook
from .epoch_seed import EpochSeedHook
from .phase_aware_early_stopping import PhaseAwareEarlyStoppingHook
from .progressive_unfreeze import ProgressiveUnfreezeHook, find_stages

__all__ = ['BestMetricsCheckpointHook', 'EpochSeedHook', 'PhaseAwareEarlyStoppingHook',
           'ProgressiveUnfreezeHook', 'find_stages']
