"""Importing custom_modules registers podium's pieces in every library's registry."""
from __future__ import annotations

import pytest
import torch
from mmengine.registry import DefaultScope

import custom_modules  # noqa: F401
from custom_modules.registry import ALL_SCOPES, library_registry


@pytest.mark.parametrize('scope', ALL_SCOPES)
def test_backbone_in_every_scope(scope):
    models = library_registry(scope, 'MODELS')
    assert models.scope == scope
    assert models.get('TinyConvNet') is not None
    with DefaultScope.overwrite_default_scope(scope):
        backbone = models.build(dict(type='TinyConvNet', base_channels=4, num_stages=2,
                                     out_indices=(0, 1)))
    outs = backbone(torch.rand(1, 3, 16, 16))
    assert [o.shape[1] for o in outs] == [4, 8]


def test_dataset_registered_in_mmpretrain():
    datasets = library_registry('mmpretrain', 'DATASETS')
    assert datasets.get('SyntheticPatternDataset') is not None


def test_full_models_build_in_each_scope():
    """A classifier (mmpretrain), a 2D recogniser (mmaction), a backbone+FPN (mmdet)."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        classifier = library_registry('mmpretrain').build(dict(
            type='ImageClassifier',
            backbone=dict(type='TinyConvNet', base_channels=4, num_stages=2, out_indices=(1, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=8)))
    assert classifier(torch.rand(2, 3, 16, 16), mode='tensor').shape == (2, 3)

    with DefaultScope.overwrite_default_scope('mmaction'):
        recognizer = library_registry('mmaction').build(dict(
            type='Recognizer2D',
            backbone=dict(type='TinyConvNet', base_channels=4, num_stages=2, out_indices=(1, ),
                          single_output=True),
            cls_head=dict(type='TSNHead', num_classes=4, in_channels=8)))
    clip = torch.rand(2, 3, 3, 16, 16)  # [N, num_segments, C, H, W]
    feats = recognizer(clip, mode='tensor')  # backbone output, [N * num_segments, C, h, w]
    assert feats.shape == (6, 8, 4, 4)
    assert recognizer.cls_head(feats, num_segs=3).shape == (2, 4)

    with DefaultScope.overwrite_default_scope('mmdet'):
        models = library_registry('mmdet')
        backbone = models.build(dict(type='TinyConvNet', base_channels=4, num_stages=3,
                                     out_indices=(0, 1, 2)))
        fpn = models.build(dict(type='FPN', in_channels=[4, 8, 16], out_channels=8, num_outs=3))
    pyramid = fpn(backbone(torch.rand(1, 3, 32, 32)))
    assert [p.shape[-1] for p in pyramid] == [16, 8, 4]
