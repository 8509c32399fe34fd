"""EpochSeedHook: epoch e draws the same random numbers with or without a resume before it."""
from __future__ import annotations

import random
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import worker_init_fn as mmengine_worker_init

from custom_modules.engine.hooks.epoch_seed import (
    EpochSeedHook,
    checkpoint_complete,
    epoch_seed,
    repair_last_checkpoint,
    seed_worker,
)
from custom_modules.engine.runner import add_epoch_seeding


class Logger:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, level, msg) -> None:
        self.lines.append(msg)

    def warning(self, msg) -> None:
        self.lines.append(msg)


def fake_runner(epoch: int, loader=None) -> SimpleNamespace:
    loader = loader or SimpleNamespace(num_workers=0)
    return SimpleNamespace(seed=7, epoch=epoch, logger=Logger(),
                           train_loop=SimpleNamespace(dataloader=loader))


def draws() -> tuple:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_epoch_seed_depends_on_every_argument_and_nothing_else():
    seeds = {epoch_seed(7, e, r, w) for e in range(3) for r in range(2) for w in (-1, 0, 1)}
    assert len(seeds) == 18
    assert epoch_seed(7, 2, 0) == epoch_seed(7, 2, 0) != epoch_seed(8, 2, 0)


def test_an_epoch_draws_the_same_whatever_came_before():
    hook = EpochSeedHook()
    hook.before_train_epoch(fake_runner(epoch=4))
    first = draws()
    np.random.rand(1000), torch.rand(1000), random.random()  # an uninterrupted run's past
    hook.before_train_epoch(fake_runner(epoch=4))
    assert draws() == first
    hook.before_train_epoch(fake_runner(epoch=5))
    assert draws() != first


def test_workers_are_seeded_per_epoch_and_persistent_ones_restarted():
    loader = SimpleNamespace(num_workers=2, persistent_workers=True, _iterator=object(),
                             worker_init_fn=partial(mmengine_worker_init, num_workers=2, rank=0,
                                                    seed=7))
    EpochSeedHook().before_train_epoch(fake_runner(epoch=3, loader=loader))
    assert loader.worker_init_fn.func is seed_worker
    assert loader.worker_init_fn.keywords == {'seed': 7, 'epoch': 3, 'rank': 0}
    assert loader._iterator is None
    loader.worker_init_fn(1)
    a = draws()
    seed_worker(1, seed=7, epoch=3, rank=0)
    assert draws() == a


def test_a_configs_own_worker_init_fn_is_kept_with_a_warning():
    def own(worker_id):
        return None

    loader = SimpleNamespace(num_workers=2, persistent_workers=False, worker_init_fn=own)
    runner = fake_runner(epoch=0, loader=loader)
    EpochSeedHook().before_train_epoch(runner)
    assert loader.worker_init_fn is own and 'own worker_init_fn' in runner.logger.lines[0]


def save(path: Path) -> Path:
    torch.save({'state_dict': {'w': torch.ones(3)}}, path)
    return path


def test_a_checkpoint_cut_short_is_never_resumed_from(tmp_path):
    good = save(tmp_path / 'epoch_2.pth')
    cut = save(tmp_path / 'epoch_3.pth')
    cut.write_bytes(cut.read_bytes()[:-40])
    assert checkpoint_complete(good) and not checkpoint_complete(cut)
    (tmp_path / 'last_checkpoint').write_text(str(cut))
    note = repair_last_checkpoint(tmp_path)
    assert 'incomplete' in note and (tmp_path / 'last_checkpoint').read_text() == str(good)
    assert repair_last_checkpoint(tmp_path) is None  # now fine


def test_an_empty_pointer_without_a_complete_checkpoint_starts_over(tmp_path):
    (tmp_path / 'epoch_1.pth').write_bytes(b'PK\x03\x04 cut')
    (tmp_path / 'last_checkpoint').write_text('')
    assert 'from scratch' in repair_last_checkpoint(tmp_path)
    assert not (tmp_path / 'last_checkpoint').exists()


def test_every_training_config_gets_the_hook_once():
    cfg = Config(dict(train_cfg=dict(max_epochs=1), custom_hooks=[dict(type='Other')]))
    add_epoch_seeding(cfg)
    add_epoch_seeding(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['Other', 'EpochSeedHook']
    off = Config(dict(train_cfg=dict(max_epochs=1), epoch_seeding=False))
    add_epoch_seeding(off)
    assert not off.get('custom_hooks')
    test_only = Config(dict(test_cfg=dict()))
    add_epoch_seeding(test_only)
    assert not test_only.get('custom_hooks')


def test_a_resumed_run_validates_its_resume_epoch_again():
    from mmengine.runner import EpochBasedTrainLoop

    loop = object.__new__(EpochBasedTrainLoop)
    loop._max_epochs, loop.val_begin, loop.val_interval = 30, 1, 1
    ran = []
    val_loop = SimpleNamespace(run=lambda: ran.append(True))
    for resume, epoch, expected in ((True, 7, 1), (False, 7, 0), (True, 0, 0)):
        ran.clear()
        runner = SimpleNamespace(_resume=resume, epoch=epoch, train_loop=loop,
                                 val_loop=val_loop, logger=SimpleNamespace(info=print))
        EpochSeedHook().before_train(runner)
        assert len(ran) == expected, (resume, epoch)
