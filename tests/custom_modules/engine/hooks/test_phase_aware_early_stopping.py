"""PhaseAwareEarlyStoppingHook: patience counts only after the LR warm-up and the last unfreeze."""
from __future__ import annotations

import logging
from types import SimpleNamespace

import torch
from mmengine.optim import CosineAnnealingLR, LinearLR, OptimWrapper

import custom_modules  # noqa: F401  (registration)
from custom_modules.engine.hooks import PhaseAwareEarlyStoppingHook, ProgressiveUnfreezeHook
from custom_modules.engine.hooks.phase_aware_early_stopping import warmup_end

ITERS = 10  # iterations per epoch


def fake_runner(hooks=(), warmup_epochs: int = 2) -> SimpleNamespace:
    wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    schedulers = [LinearLR(wrapper, start_factor=0.1, by_epoch=True, begin=0, end=warmup_epochs),
                  CosineAnnealingLR(wrapper, T_max=20, by_epoch=True, begin=warmup_epochs)]
    return SimpleNamespace(param_schedulers=schedulers, train_dataloader=range(ITERS),
                           hooks=list(hooks), epoch=0, iter=0, logger=logging.getLogger('t'),
                           train_loop=SimpleNamespace(stop_training=False))


def validate(hook, runner, epoch: int, score: float) -> bool:
    """Validation after ``epoch`` epochs; True when the hook stopped the run."""
    runner.epoch, runner.iter = epoch, epoch * ITERS
    hook.after_val_epoch(runner, {'loc/mIoU': score})
    return runner.train_loop.stop_training


def test_warmup_end_is_read_from_the_schedulers():
    assert warmup_end(fake_runner(warmup_epochs=3)) == 3 * ITERS


def test_a_stall_during_the_lr_warmup_does_not_count():
    runner = fake_runner(warmup_epochs=3)
    hook = PhaseAwareEarlyStoppingHook(monitor='loc/mIoU', rule='greater', patience=2)
    assert not validate(hook, runner, 1, 0.5)
    assert not validate(hook, runner, 2, 0.4)  # in the warm-up: not counted
    assert not validate(hook, runner, 3, 0.4)  # warm-up over: 1st without improvement
    assert validate(hook, runner, 4, 0.45)  # 2nd: patience 2 reached


def test_patience_restarts_at_the_last_unfreeze_step():
    # Unfreezing at epoch 5 (iteration 40) with a 10-iteration ramp: counting from iteration 50.
    unfreeze = ProgressiveUnfreezeHook(schedule={5: 'all'}, warmup_iters=10)
    runner = fake_runner([unfreeze], warmup_epochs=1)
    hook = PhaseAwareEarlyStoppingHook(monitor='loc/mIoU', rule='greater', patience=3)
    assert not validate(hook, runner, 1, 0.5)
    assert not validate(hook, runner, 2, 0.4)
    assert not validate(hook, runner, 3, 0.4)  # 2 of 3: mmengine's hook would stop at epoch 4
    assert not validate(hook, runner, 4, 0.4)  # epoch 5 starts the unfreeze: restart
    assert not validate(hook, runner, 5, 0.4)  # 1 of 3 from the end of the unfreeze ramp
    assert not validate(hook, runner, 6, 0.45)
    assert validate(hook, runner, 7, 0.45)


def test_inactive_unfreeze_counts_only_the_lr_warmup():
    unfreeze = ProgressiveUnfreezeHook(schedule={5: 'all'})
    unfreeze.active = False  # a backbone without pretrained weights: trained whole
    runner = fake_runner([unfreeze], warmup_epochs=1)
    hook = PhaseAwareEarlyStoppingHook(monitor='loc/mIoU', rule='greater', patience=1)
    assert not validate(hook, runner, 1, 0.5)
    assert validate(hook, runner, 2, 0.4)


def test_a_stopping_threshold_still_stops_during_the_warmup():
    runner = fake_runner(warmup_epochs=5)
    hook = PhaseAwareEarlyStoppingHook(monitor='loc/mIoU', rule='greater', patience=1,
                                       stopping_threshold=0.9)
    assert not validate(hook, runner, 1, 0.5)
    assert validate(hook, runner, 2, 0.95)
