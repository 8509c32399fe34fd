"""The CPU-sized ``*_lite`` solutions: manifests, configs, converted ImageNet weights, one step.

Each config builds as its manifest wires it (the converted Lite0 weights through
``model.backbone.init_cfg``), loads the weights when install.sh made them (skipped otherwise)
and takes one optimiser step on two tiny images.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import custom_modules  # noqa: F401
from custom_modules.checkpoints.convert_lite import CONVERTED
from custom_modules.registry import library_registry
from custom_modules.utils.errors import InputError
from tests.conftest import REPO_ROOT

LITES = ['sports_lite', 'crash_lite', 'localize_lite']


def manifest(name: str, **env: str):
    from tools.solutions.manifest import load_manifest

    return load_manifest(name, env=env)


@pytest.mark.parametrize('name', LITES)
def test_manifest_runs_the_lite_config_from_the_converted_weights(name):
    m = manifest(name)
    full = manifest(name.removesuffix('_lite'))
    assert m.flow == full.flow and m.get('inputs') == full.get('inputs')
    assert m.data_root == Path(f'data/{name}') and m.work_dir == Path(f'work_dirs/{name}')
    assert m.folds == [0] and len(m.runs) == 1
    run = m.runs[0]
    assert run.kind == full.runs[0].kind and 'lite0' in run.config.name
    assert run.pretrained['file'] == CONVERTED
    assert run.pretrained['make'] == 'python tools/convert_efficientnet_lite.py'


def test_missing_converted_weights_name_the_command_that_makes_them(tmp_path):
    from tools.solutions.steps import pretrained_options

    m = manifest('sports_lite')
    run = m.runs[0]
    run.pretrained = dict(run.pretrained, file=str(tmp_path / 'absent.pth'))
    with pytest.raises(InputError, match='`python tools/convert_efficientnet_lite.py` makes it'):
        pretrained_options(m, run)


def lite_model(name: str):
    """The run's config with the manifest's pretrained options when the file is here."""
    from tools.solutions.steps import pretrained_options

    m = manifest(name)
    run = m.runs[0]
    cfg = Config.fromfile(str(run.config))
    loaded = (REPO_ROOT / CONVERTED).is_file()
    if loaded:
        cfg.merge_from_dict(pretrained_options(m, run))
    if name != 'crash_lite':  # the crash head has one logit
        cfg.model.head.num_classes = 2
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = library_registry(cfg.default_scope).build(cfg.model)
    model.init_weights()
    return cfg, model, loaded


def samples(name: str, size: int) -> list[DataSample]:
    out = []
    for i in range(2):
        sample = DataSample().set_gt_label(i % 2)
        if name == 'localize_lite':
            sample.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size)))
            sample.set_field(torch.tensor([0.2, 0.3, 0.7, 0.8]), 'gt_bbox')
        out.append(sample)
    return out


@pytest.mark.parametrize('name,size', [('sports_lite', 112), ('crash_lite', 128),
                                       ('localize_lite', 160)])
def test_config_loads_the_weights_and_trains_one_step(name, size):
    cfg, model, loaded = lite_model(name)
    assert cfg.model.backbone.type == 'EfficientNetLite'
    preprocessor = cfg.model.get('data_preprocessor') or cfg.data_preprocessor
    assert preprocessor['mean'] == [127.5] * 3 and preprocessor['std'] == [127.5] * 3
    if loaded:
        converted = torch.load(REPO_ROOT / CONVERTED, weights_only=True)['state_dict']
        state = model.state_dict()
        assert all(torch.equal(state[k], v) for k, v in converted.items()
                   if k.startswith('backbone.'))
    model.train()
    torch.manual_seed(0)
    data = dict(inputs=[torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
                        for _ in range(2)], data_samples=samples(name, size))
    head_before = {k: v.clone() for k, v in model.head.state_dict().items()}
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.01))
    log = model.train_step(data, optim)
    assert all(torch.isfinite(v) for v in log.values())
    assert any(not torch.equal(head_before[k], v) for k, v in model.head.state_dict().items())
    if not loaded:
        pytest.skip(f'trained one step; {CONVERTED} is not here (install.sh makes it)')
