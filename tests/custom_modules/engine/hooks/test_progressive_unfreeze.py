"""ProgressiveUnfreezeHook: the right parameters freeze, unfreeze on schedule and then train."""
from __future__ import annotations

import copy
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import MultiStepLR, OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from torch import nn

import custom_modules  # noqa: F401
from custom_modules.engine.hooks import ProgressiveUnfreezeHook, find_stages, progressive_unfreeze
from custom_modules.models.backbones import TinyConvNet
from custom_modules.registry import library_registry


class SnapshotHook(Hook):
    """Copies the model's state at the start of every epoch and at the end of training."""

    def __init__(self) -> None:
        self.snapshots: list[dict[str, torch.Tensor]] = []
        self.trainable: list[set[str]] = []

    def _snap(self, runner) -> None:
        self.snapshots.append(copy.deepcopy(runner.model.state_dict()))

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if batch_idx == 0:  # after the unfreeze hook (VERY_HIGH priority) has run
            self._snap(runner)
            self.trainable.append({n for n, p in runner.model.named_parameters()
                                   if p.requires_grad})

    def after_train(self, runner) -> None:
        self._snap(runner)


def _changed(before: dict, after: dict, prefix: str) -> bool:
    keys = [k for k in before if k.startswith(prefix) and before[k].is_floating_point()]
    assert keys, prefix
    return any(not torch.equal(before[k], after[k]) for k in keys)


@pytest.mark.slow
def test_schedule_freezes_then_unfreezes_and_parameters_start_changing(toy_config, tmp_path):
    cfg = Config.fromfile(str(toy_config))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 3
    cfg.train_cfg.val_interval = 10
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.optim_wrapper.optimizer.weight_decay = 0  # frozen tensors must stay bit-identical
    cfg.custom_hooks = [dict(type='ProgressiveUnfreezeHook', pretrained_only=False,
                             schedule={2: 1, 3: 'all'})]
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    snap = SnapshotHook()
    runner.register_hook(snap, priority='LOW')
    runner.train()

    s1, s2, s3, end = snap.snapshots
    t1, t2, t3 = snap.trainable
    # epoch 1: the whole backbone frozen, the head trains
    assert not any(n.startswith('backbone.') for n in t1) and 'head.fc.weight' in t1
    assert not _changed(s1, s2, 'backbone.')
    assert _changed(s1, s2, 'head.')
    # epoch 2: only the last of the 3 stages
    assert {n.split('.')[2] for n in t2 if n.startswith('backbone.')} == {'2'}
    assert _changed(s2, s3, 'backbone.stages.2.')
    assert not _changed(s2, s3, 'backbone.stages.0.') and not _changed(s2, s3, 'backbone.stages.1.')
    # epoch 3: everything, and the stages frozen until now start changing
    assert {n for n, _ in runner.model.named_parameters()} == t3
    assert _changed(s3, end, 'backbone.stages.0.')


def test_frozen_batchnorm_statistics_stay(toy_config, tmp_path):
    cfg = Config.fromfile(str(toy_config))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 10
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.custom_hooks = [dict(type='ProgressiveUnfreezeHook', pretrained_only=False,
                             schedule={5: 'all'})]
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    before = copy.deepcopy(runner.model.backbone.stages[0][1].running_mean)
    runner.train()
    assert torch.equal(before, runner.model.backbone.stages[0][1].running_mean)


def frozen_anyway(**kwargs) -> ProgressiveUnfreezeHook:
    """The hook on the randomly initialised TinyConvNet of these tests: freezing it anyway."""
    return ProgressiveUnfreezeHook(pretrained_only=False, **kwargs)


def _runner(model: nn.Module, epoch: int = 0, optim_wrapper=None, schedulers=None):
    return SimpleNamespace(model=model, epoch=epoch, iter=0, optim_wrapper=optim_wrapper,
                           param_schedulers=schedulers, logger=logging.getLogger('test'),
                           train_dataloader=range(10))


def test_resumed_run_gets_the_state_of_its_epoch():
    model = nn.Module()
    model.backbone = TinyConvNet(num_stages=4)
    hook = frozen_anyway(schedule={3: 2, 6: 'all'})
    assert [hook.trainable_at(e) for e in (1, 2, 3, 5, 6, 9)] == [0, 0, 2, 2, 'all', 'all']
    hook.before_train(_runner(model, epoch=4))  # resumed after 4 epochs: epoch 5 is next
    trainable = [all(p.requires_grad for p in s.parameters()) for s in model.backbone.stages]
    assert trainable == [False, False, True, True]


def test_parameters_the_optimizer_lacks_are_added_with_the_schedulers():
    model = nn.Module()
    model.backbone = TinyConvNet(num_stages=2, out_indices=(1, ))
    model.head = nn.Linear(2, 2)
    wrapper = OptimWrapper(torch.optim.SGD(model.head.parameters(), lr=0.1))
    scheduler = MultiStepLR(wrapper, milestones=[1], by_epoch=True)
    hook = frozen_anyway(schedule={2: 1})
    runner = _runner(model, epoch=0, optim_wrapper=wrapper, schedulers=[scheduler])
    hook.before_train(runner)
    assert len(wrapper.optimizer.param_groups) == 1  # nothing trainable yet
    runner.epoch = 1
    hook.before_train_epoch(runner)
    groups = wrapper.optimizer.param_groups
    assert len(groups) == 2 and groups[1]['lr'] == groups[0]['lr']
    assert {id(p) for p in groups[1]['params']} == {
        id(p) for p in model.backbone.stages[1].parameters()}
    assert len(scheduler.base_values) == 2


@pytest.mark.parametrize('backbone, count', [
    (dict(type='ResNet', depth=18), 4),
    (dict(type='MobileNetV3', arch='small'), 13),
    (dict(type='EfficientNet', arch='b0'), 7),  # stem, 5 block groups, final conv
    (dict(type='SwinTransformer', arch='tiny', img_size=64), 4),
])
def test_stages_are_found_for_the_common_backbones(backbone, count):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        module = library_registry('mmpretrain').build(backbone)
    stages = find_stages(module)
    assert len(stages) == count
    assert all(isinstance(s, nn.Module) for s in stages)


def test_bad_schedules_and_too_many_stages_are_refused():
    with pytest.raises(ValueError, match='1-based'):
        frozen_anyway(schedule={0: 'all'})
    with pytest.raises(ValueError, match='stage count'):
        frozen_anyway(schedule={1: 'some'})
    model = nn.Module()
    model.backbone = TinyConvNet(num_stages=2, out_indices=(1, ))
    with pytest.raises(ValueError, match='3 stages asked for, backbone has 2'):
        frozen_anyway(schedule={1: 3}).before_train(_runner(model))


def test_ddp_without_find_unused_parameters_is_refused(monkeypatch):
    wrapped = SimpleNamespace(find_unused_parameters=False)
    monkeypatch.setattr(progressive_unfreeze, 'is_model_wrapper', lambda m: m is wrapped)
    with pytest.raises(RuntimeError, match='find_unused_parameters=True'):
        frozen_anyway(schedule={1: 'all'}).before_train(_runner(wrapped))


def test_parameters_frozen_before_ddp_was_built_are_refused(monkeypatch):
    """DDP leaves out what was frozen when it wrapped the model: unfreezing those later would
    train each rank's copy apart. Only what the schedule ever unfreezes counts."""
    inner = nn.Module()
    inner.backbone = TinyConvNet(num_stages=4)
    wrapped = SimpleNamespace(find_unused_parameters=True, module=inner)
    monkeypatch.setattr(progressive_unfreeze, 'is_model_wrapper', lambda m: m is wrapped)
    for p in inner.backbone.stages[0].parameters():  # a backbone's frozen_stages=1
        p.requires_grad = False
    frozen_anyway(schedule={2: 3}).before_train(_runner(wrapped))  # never stage 0
    for p in inner.backbone.parameters():
        p.requires_grad = True
    for p in inner.backbone.stages[0].parameters():
        p.requires_grad = False
    with pytest.raises(RuntimeError, match=r'parameter\(s\) of backbone \(stages\.0\..*frozen '
                       'when DDP was built'):
        frozen_anyway(schedule={2: 3, 4: 'all'}).before_train(_runner(wrapped))


def test_schedule_in_iterations():
    model = nn.Module()
    model.backbone = TinyConvNet(num_stages=2, out_indices=(1, ))
    hook = frozen_anyway(schedule={5: 'all'}, by_epoch=False)
    runner = _runner(model)
    hook.before_train(runner)
    hook.before_train_epoch(runner)  # epochs do not count
    assert not any(p.requires_grad for p in model.backbone.parameters())
    runner.iter = 4  # the 5th iteration starts
    hook.before_train_iter(runner, batch_idx=4)
    assert all(p.requires_grad for p in model.backbone.parameters())
