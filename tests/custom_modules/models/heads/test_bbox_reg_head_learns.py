"""The localize demo recipe learns the class of real objects in real photographs (issue 16).

Before the fix its ProgressiveUnfreezeHook froze the randomly initialised TinyConvNet for the
first epoch with BatchNorm in eval mode: the pooled features were ~3e-4 and the same for every
image, so the class loss sat at ln 2 (and the box at the mean box) until the unfreeze."""
from __future__ import annotations

import logging
import math
from pathlib import Path
from types import SimpleNamespace

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS

import custom_modules  # noqa: F401  (registration)
from custom_modules.engine import hooks

from .real_boxes import real_box_batch, train_localizer

REPO = Path(__file__).resolve().parents[4]
TINY = REPO / 'configs/localize/tinyconvnet-bboxreg_1xb16-cos-40e_localize-demo-letterbox-64px.py'


def train_like_the_demo(iterations: int = 25, unfreeze_hook=None) -> list[float]:
    """Class losses of ``iterations`` AdamW steps of the demo config's model, its
    ProgressiveUnfreezeHook applied as the runner would, on one batch of 24 real images."""
    torch.manual_seed(0)
    cfg = Config.fromfile(str(TINY))
    model = MODELS.build(cfg.model)
    model.init_weights()
    hook_cfg = next(dict(h) for h in cfg.custom_hooks if h['type'] == 'ProgressiveUnfreezeHook')
    hook_cfg.pop('type')
    hook = (unfreeze_hook or hooks.ProgressiveUnfreezeHook)(**hook_cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.optim_wrapper.optimizer.lr,
                                  weight_decay=cfg.optim_wrapper.optimizer.weight_decay)
    runner = SimpleNamespace(model=model, epoch=0, iter=0, cfg=cfg, param_schedulers=[],
                             optim_wrapper=OptimWrapper(optimizer), train_dataloader=range(75),
                             logger=logging.getLogger('test'))
    images, samples = real_box_batch(24, size=64)
    data = model.data_preprocessor({'inputs': list(images), 'data_samples': samples}, True)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    return [out['loss_cls'].item()
            for out in train_localizer(model, data, optimizer, iterations, hook, runner)]


def test_class_loss_falls_well_below_chance_within_a_few_dozen_iterations():
    losses = train_like_the_demo()
    assert abs(losses[0] - math.log(2)) < 0.05  # starts at chance
    assert sum(losses[-5:]) / 5 < 0.35, [round(v, 3) for v in losses]
