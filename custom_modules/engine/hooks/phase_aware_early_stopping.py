"""Early stopping whose patience counts only once the LR warm-up and the last unfreeze are over."""
from __future__ import annotations

import sys

from mmengine.hooks import EarlyStoppingHook

from ...registry import register_in

# LR schedulers that ramp the learning rate up at the start of a run (mmengine, mmdet, mmpretrain).
WARMUP_SCHEDULERS = ('LinearLR', 'ConstantLR')


def warmup_end(runner) -> int:
    """Iteration at which the LR warm-up ends (0: none): the latest ``end`` of a scheduler that
    starts at 0 and raises the learning rate (``LinearLR`` with ``start_factor < end_factor``,
    ``ConstantLR``, or a class named ``*Warmup*``)."""
    schedulers = runner.param_schedulers or []
    if isinstance(schedulers, dict):
        schedulers = [s for group in schedulers.values() for s in group]
    end = 0
    for scheduler in schedulers:
        name = type(scheduler).__name__
        if getattr(scheduler, 'param_name', 'lr') != 'lr' or scheduler.begin != 0 or \
                scheduler.end >= sys.maxsize // 2:
            continue
        rising = (name == 'LinearLR' and scheduler.start_factor < scheduler.end_factor) or \
            name == 'ConstantLR' or 'warmup' in name.lower()
        if rising:
            per_step = len(runner.train_dataloader) if scheduler.by_epoch else 1
            end = max(end, scheduler.end * per_step)
    return end


@register_in(registry='HOOKS')
class PhaseAwareEarlyStoppingHook(EarlyStoppingHook):
    """mmengine's ``EarlyStoppingHook`` that never stops a run still settling in.

    A validation counts towards ``patience`` only once the learning-rate warm-up is over
    (:func:`warmup_end`) and the latest unfreeze step of every :class:`ProgressiveUnfreezeHook`
    has finished its own warm-up; the count restarts from 0 at each such point (a run is judged
    on how it does after its last change, not before). Earlier validations still raise the best
    score, so the first counted one must beat them. A ``stopping_threshold`` or a non-finite
    metric stops at any time, as in mmengine. Arguments: those of ``EarlyStoppingHook``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._counting_from: int | None = None  # iteration the current count started from
        self._settling = False  # the validation being judged came before that iteration

    def counting_from(self, runner) -> int:
        """Iteration from which validations count: the end of the last warm-up begun so far."""
        points = [warmup_end(runner)]
        for hook in getattr(runner, 'hooks', []):
            settled = getattr(hook, 'settled_at', None)
            if callable(settled) and type(hook).__name__ == 'ProgressiveUnfreezeHook':
                points.append(settled(runner) or 0)
        return max(points)

    def after_val_epoch(self, runner, metrics) -> None:
        if self.monitor in metrics:
            start = self.counting_from(runner)
            if start != self._counting_from:
                if self._counting_from is not None and self.wait_count:
                    runner.logger.info(
                        f'{type(self).__name__}: a new phase from iteration {start}: patience '
                        f'restarts ({self.wait_count} validation(s) without improvement dropped)')
                self._counting_from = start
                self.wait_count = 0
            self._settling = runner.iter < start
        super().after_val_epoch(runner, metrics)

    def _check_stop_condition(self, current_score: float) -> tuple[bool, str]:
        """mmengine's rule; while settling in, a stall is not counted."""
        if not self._settling:
            return super()._check_stop_condition(current_score)
        patience, self.patience = self.patience, sys.maxsize
        try:
            stop, message = super()._check_stop_condition(current_score)
        finally:
            self.patience = patience
        self.wait_count = 0
        return stop, message
