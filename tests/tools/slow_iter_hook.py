"""A test-only hook that slows every training iteration, so a test can kill a run mid-epoch
(the toy trains an epoch in milliseconds). Imported by a test config's ``custom_imports``."""
from __future__ import annotations

import time

from mmengine.hooks import Hook

from custom_modules.registry import register_in


@register_in(registry='HOOKS')
class SlowIterHook(Hook):
    """Sleeps ``seconds`` before each training iteration; draws no random numbers."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        time.sleep(self.seconds)
