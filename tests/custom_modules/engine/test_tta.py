"""apply_tta: the TTA model and pipeline each config family gets, and the configs it refuses."""
from __future__ import annotations

import pytest
from mmengine.config import Config

from custom_modules.engine.tta import apply_tta
from custom_modules.utils.errors import PodiumError
from tests.conftest import REPO_ROOT

CONFIGS = REPO_ROOT / 'configs'
SPORTS = CONFIGS / 'sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py'
LOCALIZE = CONFIGS / 'localize/tinyconvnet-bboxreg_1xb16-cos-40e_localize-demo-letterbox-64px.py'
TSM = CONFIGS / 'tsm/tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-224px.py'
TSM_DEMO = CONFIGS / 'tsm/tsm_mobilenetv2_1xb8-1x1x8-step-20e_action-demo-rawframes-64px.py'


def test_classifier_gets_flip_views_inside_its_own_test_pipeline_and_builds():
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import custom_modules  # noqa: F401  (registration)

    cfg = Config.fromfile(str(SPORTS))
    test_pipeline = list(cfg.test_dataloader.dataset.pipeline)
    cfg.model.head.num_classes = 3
    note = apply_tta(cfg, 'sports')
    assert note == 'test-time augmentation: 2 views per sample, merged by MeanScoreTTA'
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert pipeline[:-1] == test_pipeline[:-1]
    flips, pack = pipeline[-1]['transforms']
    assert [f['prob'] for f in flips] == [0.0, 1.0] and pack == [test_pipeline[-1]]
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # as the Runner sets it
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'MeanScoreTTA'
    assert model.module.head.num_classes == 3  # options merged before the wrap stay inside


def test_localize_flips_with_the_box_aware_transform():
    cfg = Config.fromfile(str(LOCALIZE))
    apply_tta(cfg, 'localize')
    flips = cfg.test_dataloader.dataset.pipeline[-1]['transforms'][0]
    assert {f['type'] for f in flips} == {'BoxRandomFlip'}


@pytest.mark.parametrize('config, crops', [(TSM, True), (TSM_DEMO, False)])
def test_tsm_uses_multi_clip_views_averaged_by_its_head(config, crops):
    cfg = Config.fromfile(str(config))
    model = cfg.model.to_dict()
    note = apply_tta(cfg, config.name)
    assert 'merged by the model' in note and cfg.model.to_dict() == model  # not wrapped
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert pipeline[0]['twice_sample'] is True and pipeline[0]['test_mode'] is True
    assert any(step['type'] == 'ThreeCrop' for step in pipeline) is crops
    assert cfg.model.cls_head.average_clips == 'prob'


def plain_cfg(**tta) -> Config:
    return Config(dict(model=dict(type='ImageClassifier'),
                       test_dataloader=dict(dataset=dict(pipeline=[dict(type='PackInputs')])),
                       **tta))


def test_configs_without_tta_or_without_a_merger_are_refused():
    with pytest.raises(PodiumError, match='declares no test-time augmentation'):
        apply_tta(plain_cfg(), 'plain.py')
    with pytest.raises(PodiumError, match='no tta_model'):
        apply_tta(plain_cfg(tta_transforms=[[dict(type='RandomFlip', prob=1.0)]]), 'plain.py')
    with pytest.raises(PodiumError, match='does not average several views'):
        apply_tta(plain_cfg(tta_pipeline=[dict(type='PackInputs')]), 'plain.py')


def test_localize_flipped_view_maps_its_box_back_to_the_original_image(tmp_path):
    import cv2
    import numpy as np
    import torch
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope

    import custom_modules  # noqa: F401  (registration)
    from custom_modules.models.heads import BBoxRegHead

    cfg = Config.fromfile(str(LOCALIZE))
    apply_tta(cfg, 'localize')
    image = tmp_path / 'wide.png'
    cv2.imwrite(str(image), np.zeros((40, 80, 3), np.uint8))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        out = Compose(cfg.test_dataloader.dataset.pipeline)(dict(img_path=str(image)))
    plain, flipped = out['data_samples']
    assert (plain.flip, flipped.flip) == (False, True)
    box = torch.tensor([0.125, 0.3125, 0.375, 0.5])  # where the object is in the plain input
    mirrored = torch.tensor([1 - 0.375, 0.3125, 1 - 0.125, 0.5])  # ... in the flipped input
    torch.testing.assert_close(BBoxRegHead.to_original(mirrored, flipped.metainfo),
                               BBoxRegHead.to_original(box, plain.metainfo))
    torch.testing.assert_close(BBoxRegHead.to_original(box, plain.metainfo),
                               torch.tensor([10., 5., 30., 20.]))
