"""The stack imports, and mmcv's nms / RoIAlign run (compiled, or routed on mmcv-lite)."""
from __future__ import annotations

import torch

from custom_modules import collect_env


def test_versions_and_ops_reported():
    info = collect_env()
    assert info['mmcv'] == '2.1.0'
    # compiled kernels, or nms/RoIAlign routed to torchvision's on mmcv-lite
    assert info['mmcv ops'].startswith(('compiled', 'torchvision-routed')), info['mmcv ops']
    for name in ('mmengine', 'mmpretrain', 'mmdet', 'mmaction'):
        assert not info[name].startswith('unavailable'), info[name]


def test_compiled_ops_run_on_cpu():
    from mmcv.ops import RoIAlign, nms

    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
    _, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    feats = torch.arange(16.).view(1, 1, 4, 4)
    rois = torch.tensor([[0., 0., 0., 4., 4.]])
    pooled = RoIAlign(output_size=(2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=False)(
        feats, rois)
    assert pooled.shape == (1, 1, 2, 2)
    assert torch.all(pooled[0, 0, 1] > pooled[0, 0, 0])  # lower rows of the map are larger
