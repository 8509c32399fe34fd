"""The crash configs and manifests: offline pretrained weights by local path, data wiring."""
from __future__ import annotations

import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import custom_modules  # noqa: F401
from custom_modules.registry import library_registry
from tests.conftest import REPO_ROOT

EFFNET = REPO_ROOT / 'configs/crash/efficientnetv2-s_4xb16-cos-12e_crash-frames-384px.py'
TINY = REPO_ROOT / 'configs/crash/tinyconvnet_1xb16-cos-4e_crash-demo-frames-64px.py'


@pytest.mark.slow
def test_efficientnetv2_loads_a_local_mmpretrain_checkpoint_as_the_manifest_passes_it(tmp_path):
    """`model.pretrained` = an ImageNet classifier file: backbone loaded, 1000-class head not."""
    cfg = Config.fromfile(str(EFFNET))
    assert cfg.model.backbone.type == 'EfficientNetV2' and cfg.model.head.type == 'CrashFrameHead'
    assert cfg.test_dataloader.dataset.pipeline[1]['scale'] == (384, 384)
    imagenet = Config.fromfile(str(REPO_ROOT / '.venv/lib/python3.11/site-packages/mmpretrain/'
                                   '.mim/configs/_base_/models/efficientnet_v2/efficientnetv2_s.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        torch.manual_seed(1)
        reference = library_registry('mmpretrain').build(imagenet.model).state_dict()
        ckpt = tmp_path / 'efficientnetv2-s.pth'
        torch.save({'state_dict': reference, 'meta': {}}, ckpt)
        cfg.merge_from_dict({'model.pretrained': str(ckpt)})
        model = library_registry('mmpretrain').build(cfg.model)
        model.init_weights()
    state = model.state_dict()
    backbone = [k for k in reference if k.startswith('backbone.') and 'num_batches' not in k]
    assert backbone and all(torch.equal(state[k], reference[k]) for k in backbone)
    assert state['head.fc.weight'].shape == (1, 1280)


def test_tiny_config_uses_the_crash_pieces():
    cfg = Config.fromfile(str(TINY))
    assert cfg.train_dataloader.sampler.type == 'ClassBalancedSampler'
    assert cfg.val_evaluator.type == 'CrashMetric'
    assert [h['type'] for h in cfg.custom_hooks] == ['BestMetricsCheckpointHook']
    assert cfg.custom_hooks[0]['save_best'] == 'crash/auc'


def test_manifests_and_missing_pretrained_message(tmp_path):
    from custom_modules.utils.errors import InputError
    from tools.solutions.manifest import load_manifest
    from tools.solutions.steps import pretrained_options

    demo = load_manifest('crash_demo', env={})
    assert demo.flow == 'crash' and demo.get('demo_data') and demo.folds == [0, 1]
    real = load_manifest('crash', env={'DATA_ROOT': str(tmp_path)})
    assert real.runs[0].config == EFFNET
    run = real.runs[0]
    weights = 'efficientnetv2-s_in21k-pre-3rdparty_in1k_20221220-7a7c8475.pth'
    assert run.pretrained['file'] == f'checkpoints/{weights}'
    # Both answers, whether or not this checkout has the weights: the file is looked up in a
    # folder of the test's own, first empty, then holding it.
    local = tmp_path / 'checkpoints' / weights
    run.pretrained = {**run.pretrained, 'file': str(local)}
    with pytest.raises(InputError, match=r'put .*EfficientNetV2-S weights.* at '
                                         + re.escape(str(local))):
        pretrained_options(real, run)
    local.parent.mkdir()
    local.write_bytes(b'weights')
    assert pretrained_options(real, run) == {'model.pretrained': str(local)}
