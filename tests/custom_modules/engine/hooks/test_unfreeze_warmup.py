"""ProgressiveUnfreezeHook (issue 16): only pretrained parts freeze, frozen BatchNorm keeps its
statistics, and newly unfrozen parameters ramp up, so the loss does not jump at the unfreeze."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from torch import nn

import custom_modules  # noqa: F401  (registration)
from custom_modules.engine.hooks import ProgressiveUnfreezeHook
from custom_modules.engine.hooks.progressive_unfreeze import pretrained_source
from custom_modules.models.backbones import TinyConvNet
from tests.custom_modules.models.heads.real_boxes import real_box_batch, train_localizer

REPO = Path(__file__).resolve().parents[4]
TINY = REPO / 'configs/localize/tinyconvnet-bboxreg_1xb16-cos-40e_localize-demo-letterbox-64px.py'


class Log:
    """A logger stand-in that keeps the messages."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str) -> None:
        self.lines.append(msg)


def fake_runner(model, **kwargs) -> SimpleNamespace:
    base = dict(model=model, epoch=0, iter=0, optim_wrapper=None, param_schedulers=[],
                logger=Log(), train_dataloader=range(10), cfg=Config(dict()))
    return SimpleNamespace(**{**base, **kwargs})


def tiny_model(pretrained: bool) -> nn.Module:
    model = nn.Module()
    init = dict(type='Pretrained', checkpoint='weights.pth') if pretrained else None
    model.backbone = TinyConvNet(num_stages=2, out_indices=(1, ), init_cfg=init)
    model.head = nn.Linear(32, 2)
    return model


def test_a_random_backbone_trains_whole_from_the_start_and_the_log_says_so():
    runner = fake_runner(tiny_model(pretrained=False))
    hook = ProgressiveUnfreezeHook(schedule={3: 1, 5: 'all'})
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    hook.before_train_iter(runner, 0)
    assert all(p.requires_grad for p in runner.model.parameters())
    assert 'loads no pretrained weights' in runner.logger.lines[0]
    assert hook.settled_at(runner) is None


@pytest.mark.parametrize('where, expected', [
    ('backbone', 'model.backbone.init_cfg Pretrained weights.pth'),
    ('model', 'model.init_cfg Pretrained all.pth'),
    ('load_from', 'load_from=run.pth'),
    ('cfg', 'load_from=cfg.pth'),
])
def test_pretrained_weights_are_found_where_configs_put_them(where, expected):
    model = tiny_model(pretrained=where == 'backbone')
    runner = fake_runner(model)
    if where == 'model':
        model.init_cfg = [dict(type='Normal'), dict(type='Pretrained', checkpoint='all.pth')]
    if where == 'load_from':
        runner._load_from = 'run.pth'
    if where == 'cfg':
        runner.cfg = Config(dict(load_from='cfg.pth'))
    assert pretrained_source(runner, 'backbone') == expected
    hook = ProgressiveUnfreezeHook(schedule={2: 'all'})
    hook.before_train(runner)
    assert not any(p.requires_grad for p in model.backbone.parameters())


def test_frozen_batchnorm_stays_in_eval_mode_after_model_train():
    model = tiny_model(pretrained=True)
    runner = fake_runner(model)
    hook = ProgressiveUnfreezeHook(schedule={2: 1})
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    model.train()  # the loop does this after before_train_epoch (and after each validation)
    hook.before_train_iter(runner, 0)
    bn = model.backbone.stages[0][1]
    stats = bn.running_mean.clone()
    assert not bn.training
    model.backbone(torch.randn(4, 3, 16, 16) * 5 + 3)
    assert torch.equal(stats, bn.running_mean)


def test_updates_of_newly_unfrozen_parameters_ramp_up():
    model = tiny_model(pretrained=True)
    runner = fake_runner(model, train_dataloader=range(4))
    hook = ProgressiveUnfreezeHook(schedule={2: 1}, warmup_iters=4, lr_mult=0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    hook.before_train(runner)
    conv = model.backbone.stages[1][0].weight
    for it in range(4, 10):  # epoch 2 (4 iterations per epoch) unfreezes the last stage
        runner.iter, runner.epoch = it, it // 4
        hook.before_train_epoch(runner)
        hook.before_train_iter(runner, it % 4)
        old = conv.detach().clone()
        optimizer.zero_grad()
        model.head(model.backbone(torch.randn(2, 3, 8, 8))[0].mean((2, 3))).sum().backward()
        expected = old - 0.1 * conv.grad * 0.5 * min(1.0, (it - 4 + 1) / 4)
        optimizer.step()
        hook.after_train_iter(runner, it % 4)
        torch.testing.assert_close(conv.detach(), expected)
    assert 'ramp up over 4 iterations' in runner.logger.lines[-1]


def unfreeze_losses(tmp_path, hook_class=ProgressiveUnfreezeHook, **hook_kwargs) -> list[float]:
    """Total losses of the demo model on real images: its backbone first trained on other real
    images (so it is 'pretrained'), then a fresh head trained 10 iterations with the backbone
    frozen and 10 more after it is unfrozen (AdamW at the demo config's lr)."""
    torch.manual_seed(0)
    cfg = Config.fromfile(str(TINY))
    lr = cfg.optim_wrapper.optimizer.lr

    def train(model, data, iterations, hook=None, runner=None) -> list[float]:
        optimizer = torch.optim.AdamW([p for p in model.parameters()], lr=lr)
        return [(out['loss_cls'] + out['loss_bbox']).item()
                for out in train_localizer(model, data, optimizer, iterations, hook, runner)]

    def batch(model, seed):
        images, samples = real_box_batch(24, size=64, seed=seed)
        return model.data_preprocessor({'inputs': list(images), 'data_samples': samples}, True)

    source = MODELS.build(cfg.model)
    source.init_weights()
    train(source, batch(source, seed=1), 30)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.backbone.load_state_dict(source.backbone.state_dict())
    model.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'backbone.pth'))
    hook = hook_class(schedule={11: 'all'}, by_epoch=False, **hook_kwargs)
    runner = fake_runner(model)
    hook.before_train(runner)
    return train(model, batch(model, seed=2), 20, hook, runner)


def test_the_loss_does_not_jump_at_the_unfreeze_step(tmp_path):
    losses = unfreeze_losses(tmp_path)  # the default warm-up (before the fix: 1.40 -> 7.97)
    before = sum(losses[7:10]) / 3  # the last iterations with a frozen backbone
    assert max(losses[11:16]) < 1.2 * before, [round(v, 3) for v in losses]
