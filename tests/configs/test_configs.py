"""Every config in configs/ parses, and its model builds in its library's scope."""
from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import custom_modules  # noqa: F401
from custom_modules.registry import library_registry
from tests.conftest import REPO_ROOT

CONFIGS = sorted(p for p in (REPO_ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts and 'solutions' not in p.parts)


def test_all_three_libraries_are_covered():
    scopes = {Config.fromfile(str(p)).default_scope for p in CONFIGS}
    assert scopes == {'mmpretrain', 'mmaction', 'mmdet'}


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_config_builds_model(path: Path):
    cfg = Config.fromfile(str(path))
    assert cfg.custom_imports['imports'] == ['custom_modules']
    assert 'TensorboardVisBackend' in [b['type'] for b in cfg.visualizer.vis_backends]
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = library_registry(cfg.default_scope).build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_oversampled_variants_differ_only_by_train_list():
    for base, variant in [
        ('tsm/tsm_imagenet-pretrained-r50_4xb8-1x1x8-50e_action-rawframes-rgb.py',
         'tsm/tsm_imagenet-pretrained-r50_4xb8-1x1x8-50e_action-rawframes-oversampled-rgb.py'),
        ('tsm/tsm_mobilenetv2_1xb8-1x1x8-20e_demo-rawframes-rgb.py',
         'tsm/tsm_mobilenetv2_1xb8-1x1x8-20e_demo-rawframes-oversampled-rgb.py'),
    ]:
        a = Config.fromfile(str(REPO_ROOT / 'configs' / base)).to_dict()
        b = Config.fromfile(str(REPO_ROOT / 'configs' / variant)).to_dict()
        assert b['train_dataloader']['dataset']['ann_file'].endswith('_oversampled.txt')
        b['train_dataloader']['dataset']['ann_file'] = a['train_dataloader']['dataset'][
            'ann_file']
        assert a == b


def test_offline_by_default():
    """No config fetches weights: TSM has no pretrained URL, Faster R-CNN no init_cfg."""
    for path in CONFIGS:
        text = str(Config.fromfile(str(path)).model)
        assert '://' not in text, path
