"""Every config in configs/ parses, and its model builds in its library's scope."""
from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import custom_modules  # noqa: F401
from custom_modules.registry import library_registry
from tests.conftest import REPO_ROOT


@functools.cache
def _parsed(path: str) -> Config:
    return Config.fromfile(path)


def load(path: str | Path) -> Config:
    """A fresh copy of the parsed config: each file is parsed once per session (bases resolved
    through the installed packages are the slow part)."""
    return copy.deepcopy(_parsed(str(path)))


CONFIGS = sorted(p for p in (REPO_ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts and 'solutions' not in p.parts)


def test_all_three_libraries_are_covered():
    scopes = {load(p).default_scope for p in CONFIGS}
    assert scopes == {'mmpretrain', 'mmaction', 'mmdet'}


@pytest.mark.parametrize('path', [pytest.param(p, marks=pytest.mark.ops) if 'faster_rcnn' in p.parts
                                  else p for p in CONFIGS],  # mmdet's RoI heads import mmcv.ops
                         ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_config_builds_model(path: Path):
    cfg = load(path)
    assert cfg.custom_imports['imports'] == ['custom_modules']
    assert 'TensorboardVisBackend' in [b['type'] for b in cfg.visualizer.vis_backends]
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = library_registry(cfg.default_scope).build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


# A variant and its base: every resolved key but these is the same (the chains hold differences).
VARIANTS = [
    ('tsm/tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-224px.py',
     'tsm/tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-oversampled-224px.py',
     {'train_dataloader.dataset.ann_file'}),
    ('tsm/tsm_mobilenetv2_1xb8-1x1x8-step-20e_action-demo-rawframes-64px.py',
     'tsm/tsm_mobilenetv2_1xb8-1x1x8-step-20e_action-demo-rawframes-oversampled-64px.py',
     {'train_dataloader.dataset.ann_file'}),
    ('sports/resnet50_4xb32-step-30e_sports-224px.py',
     'sports/resnet101_4xb32-step-30e_sports-224px.py', {'model.backbone.depth'}),
]


def flat(cfg: dict, prefix: str = '') -> dict:
    """``{'a': {'b': 1}}`` -> ``{'a.b': 1}`` (lists stay values)."""
    out = {}
    for key, value in cfg.items():
        if isinstance(value, dict):
            out.update(flat(value, f'{prefix}{key}.'))
        else:
            out[prefix + key] = value
    return out


@pytest.mark.parametrize('base,variant,differ', VARIANTS, ids=lambda v: str(v)[:40])
def test_variants_differ_only_where_named(base: str, variant: str, differ: set):
    a = flat(load(REPO_ROOT / 'configs' / base).to_dict())
    b = flat(load(REPO_ROOT / 'configs' / variant).to_dict())
    assert {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)} == differ
    if 'oversampled' in variant:
        assert b['train_dataloader.dataset.ann_file'].endswith('_oversampled.txt')


# {algorithm}_{backbone}_{N}xb{B}-[frames-]{step|cos}-{E}e|{I}iter[-variant]_{dataset}-{size}px.py
NAME = re.compile(r'(?P<model>[a-z0-9-]+(?:_[a-z0-9-]+)*)_(?P<gpus>\d+)xb(?P<batch>\d+)-'
                  r'(?:\d+x\d+x\d+-)?(?P<policy>step|cos)-'
                  r'(?:(?P<epochs>\d+)e|(?P<iters>\d+)iter)(?:-[a-z]+)?'
                  r'_(?P<data>[a-z0-9-]+)-\d+(?:x\d+)?px')
POLICY = {'MultiStepLR': 'step', 'CosineAnnealingLR': 'cos'}


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_name_states_the_recipe(path: Path):
    """The name's N x B, schedule and epochs are the config's; demo data says `demo`."""
    name = NAME.fullmatch(path.stem)
    assert name, f'{path.name} does not follow {NAME.pattern}'
    cfg = load(path)
    gpus, batch = int(name['gpus']), int(name['batch'])
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch
    if name['iters']:  # an iteration budget (IterBasedTrainLoop)
        assert cfg.train_cfg.max_iters == int(name['iters'])
    else:
        assert cfg.train_cfg.max_epochs == int(name['epochs'])
    schedulers = cfg.param_scheduler
    last = schedulers[-1] if isinstance(schedulers, list) else schedulers
    assert POLICY[last['type']] == name['policy']
    demo_manifests = (REPO_ROOT / 'configs/solutions').glob('*demo*.py')
    used_by_a_demo = any(path.name in m.read_text() for m in demo_manifests)
    assert ('demo' in name['data'].split('-')) == used_by_a_demo


def test_offline_by_default():
    """No config fetches weights: TSM has no pretrained URL, Faster R-CNN no init_cfg."""
    for path in CONFIGS:
        text = str(load(path).model)
        assert '://' not in text, path
