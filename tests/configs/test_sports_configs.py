"""Sports configs: one real training iteration on CPU, frozen-backbone option, local weights."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import custom_modules  # noqa: F401
from custom_modules.data_prep.image_lists import prepare_images
from custom_modules.demo_data.sports_demo import CLASSES, render
from tests.conftest import REPO_ROOT

SPORTS = REPO_ROOT / 'configs' / 'sports'


@pytest.fixture(scope='module')
def lists(tmp_path_factory) -> Path:
    """Eight generated images (two per class: a 2-fold split needs them) and their lists."""
    import cv2
    import numpy as np

    root = tmp_path_factory.mktemp('sports_images')
    rng = np.random.default_rng(0)
    rows = []
    (root / 'img').mkdir(exist_ok=True)
    for i, label in enumerate(CLASSES * 2):
        cv2.imwrite(str(root / 'img' / f'{i}.jpg'), render(label, rng))
        rows.append(f'{i},{label}')
    (root / 'train.csv').write_text('image_id,label\n' + '\n'.join(rows) + '\n')
    prepare_images(root / 'lists', train_csv=root / 'train.csv', image_dir=root / 'img',
                   folds=2)
    # One image per class: the one batch of 4 that the configs train on.
    train_all = (root / 'lists' / 'train_all.txt').read_text().splitlines()
    (root / 'lists' / 'one_per_class.txt').write_text('\n'.join(train_all[:len(CLASSES)]) + '\n')
    return root


def one_iteration_cfg(config: str, root: Path, work_dir: Path) -> Config:
    """The config as the solution runner wires it, for one epoch of one batch of 4."""
    cfg = Config.fromfile(str(SPORTS / config))
    cfg.work_dir = str(work_dir)
    cfg.model.head.num_classes = len(CLASSES)
    cfg.data_preprocessor.num_classes = len(CLASSES)
    cfg.train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(ann_file=str(root / 'lists' / 'one_per_class.txt'),
                                        data_prefix=str(root / 'img'),
                                        classes=str(root / 'lists' / 'classes.txt'))
    cfg.train_cfg.max_epochs = 1
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    return cfg


class Snapshot(Hook):
    """The model's state just before the first iteration (after init_weights)."""

    priority = 'LOWEST'

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if batch_idx == 0:
            self.state = {k: v.clone() for k, v in runner.model.state_dict().items()}


def train_one_iteration(cfg: Config) -> tuple[Runner, dict, dict]:
    runner = Runner.from_cfg(cfg)
    snapshot = Snapshot()
    runner.register_hook(snapshot)
    runner.train()
    return runner, snapshot.state, runner.model.state_dict()


def test_mobilenet_v3_small_trains_one_iteration(lists, tmp_path):
    cfg = one_iteration_cfg('mobilenet-v3-small_4xb64-cos-60e_sports-224px.py', lists, tmp_path)
    runner, before, after = train_one_iteration(cfg)
    assert runner.iter == 1
    changed = [k for k in before if before[k].dtype.is_floating_point
               and not torch.equal(before[k], after[k])]
    assert any(k.startswith('head.') for k in changed)
    assert any(k.startswith('backbone.') for k in changed)
    assert type(runner.model.head.loss_module).__name__ == 'LabelSmoothLoss'


@pytest.mark.slow
def test_frozen_backbone_option(lists, tmp_path):
    """The unfreeze variant: epoch 1 trains the head only, the BN statistics stay put."""
    cfg = one_iteration_cfg('resnet50_4xb32-step-30e-unfreeze_sports-224px.py', lists, tmp_path)
    # The manifest gives this backbone ImageNet weights; here it is random, and the hook freezes
    # only pretrained backbones unless told otherwise.
    for hook in cfg.custom_hooks:
        if hook['type'] == 'ProgressiveUnfreezeHook':
            hook['pretrained_only'] = False
    _, before, after = train_one_iteration(cfg)
    changed = [k for k in before
               if k.startswith('backbone.') and not torch.equal(before[k], after[k])]
    assert not changed, changed
    assert not all(torch.equal(before[k], after[k]) for k in before if k.startswith('head.'))


def test_pretrained_backbone_from_a_local_file(tmp_path):
    """The manifest's `pretrained` options: backbone weights from a classifier checkpoint."""
    from mmpretrain.registry import MODELS

    cfg = Config.fromfile(str(SPORTS / 'mobilenet-v3-small_4xb64-cos-60e_sports-224px.py'))
    source = MODELS.build(cfg.model)
    ckpt = tmp_path / 'mobilenet_v3_small_imagenet.pth'
    torch.save({'state_dict': source.state_dict()}, ckpt)
    cfg.model.head.num_classes = 4
    cfg.merge_from_dict({'model.backbone.init_cfg.type': 'Pretrained',
                         'model.backbone.init_cfg.checkpoint': str(ckpt),
                         'model.backbone.init_cfg.prefix': 'backbone.'})
    model = MODELS.build(cfg.model)
    model.init_weights()
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key


def test_timm_backbone_from_a_local_file(tmp_path):
    """TimmClassifier takes timm-layout weights from a file (pretrained=False: no hub)."""
    import timm
    from mmpretrain.registry import MODELS

    cfg = Config.fromfile(str(SPORTS / 'timm-efficientnetv2-s_4xb16-cos-30e_sports-384px.py'))
    assert cfg.model.type == 'TimmClassifier' and cfg.model.pretrained is False
    cfg.model.model_name = 'test_efficientnet'  # timm's tiny test net: same code, seconds
    cfg.model.num_classes = 4
    source = timm.create_model('test_efficientnet', num_classes=1000)
    ckpt = tmp_path / 'timm_weights.pth'
    torch.save(source.state_dict(), ckpt)
    cfg.merge_from_dict({'model.init_cfg.type': 'Pretrained',
                         'model.init_cfg.checkpoint': str(ckpt)})
    model = MODELS.build(cfg.model)
    model.init_weights()
    loaded = model.model.state_dict()
    for key, value in source.state_dict().items():
        if not key.startswith('classifier.'):  # the new head keeps its own size
            assert torch.equal(loaded[key], value), key
    assert loaded['classifier.weight'].shape[0] == 4
