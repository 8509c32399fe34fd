"""The models of bench/gpu_check.py: each solution's full-size config, built offline, with a
synthetic batch of the config's input shape.

A case names a config and the shape one sample has after the config's train pipeline; the
batch size is the config's ``train_dataloader.batch_size`` (per GPU). The model is built from the
config through the libraries' registries (``default_scope``) with every pretrained / init_cfg
checkpoint switched off, the data preprocessor included, then ``init_weights()``: what the Runner
builds, minus the hooks. A batch is what the dataloader's ``pseudo_collate`` would hand
``train_step``: ``dict(inputs=[uint8 tensors], data_samples=[...])`` with random pixels and
labels (and boxes for the detector and the localizer). SYNTHETIC data: only speed and memory
mean anything here, not the losses.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    """One model of the check.

    Args:
        name: the case's name (``--only``).
        title: what the table calls it.
        config: config path, relative to the repo root.
        kind: ``action`` (mmaction Recognizer2D), ``det`` (mmdet two-stage), ``cls``
            (mmpretrain classifier: label), ``crash`` (one-logit head: 0/1 label) or ``loc``
            (class + box head).
        hw: ``(H, W)`` of one image after the train pipeline.
        small: config changes for inputs shrunk by ``--size`` below ``hw`` (quick runs).
    """

    name: str
    title: str
    config: str
    kind: str
    hw: tuple[int, int]
    small: tuple[tuple[str, Any], ...] = ()


CASES = (
    Case('tsm', 'TSM-R50 1x1x8 224', 'configs/tsm/'
         'tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-224px.py',
         'action', (224, 224)),
    # Resize (1333, 800) keep_ratio: a landscape frame fits in 800 x 1333 at most
    Case('faster_rcnn', 'Faster R-CNN R50-FPN 1333x800', 'configs/faster_rcnn/'
         'faster-rcnn_r50_fpn_2xb4-step-12e_action-frames-1333x800px.py', 'det', (800, 1333)),
    Case('sports_effnetv2', 'EfficientNetV2-S 384 (sports)', 'configs/sports/'
         'efficientnetv2-s_4xb16-cos-30e_sports-384px.py', 'cls', (384, 384)),
    Case('sports_swin', 'Swin-B 224 (sports)', 'configs/sports/'
         'swin-base-w7_4xb16-cos-30e_sports-224px.py', 'cls', (224, 224),
         # below 224 px its last stages are smaller than a 7 x 7 window
         (('model.backbone.pad_small_map', True), )),
    Case('crash', 'EfficientNetV2-S 384 (crash)', 'configs/crash/'
         'efficientnetv2-s_4xb16-cos-12e_crash-frames-384px.py', 'crash', (384, 384)),
    Case('localize', 'EfficientNet-B0 448 (localize)', 'configs/localize/'
         'efficientnet-b0-bboxreg_4xb16-cos-30e_localize-letterbox-448px.py', 'loc', (448, 448)),
)
CASE_NAMES = tuple(c.name for c in CASES)


def get_case(name: str) -> Case:
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(f'no case {name!r}; cases: {", ".join(CASE_NAMES)}')


def _no_checkpoints(node: Any) -> Any:
    """``node`` (a config dict/list) with pretrained files and Pretrained init_cfgs removed."""
    if isinstance(node, list):
        return [_no_checkpoints(v) for v in node
                if not (isinstance(v, dict) and v.get('type') == 'Pretrained')]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == 'init_cfg' and isinstance(value, dict) and value.get('type') == 'Pretrained':
            value = None
        elif key in ('pretrained', 'checkpoint') and isinstance(value, str):
            value = None
        elif key == 'pretrained2d':  # ResNetTSM inflates a 2D file only when one is given
            value = False
        out[key] = _no_checkpoints(value)
    return out


def load_config(case: Case, size: int | None = None):
    """The case's config (custom_imports done), with ``case.small`` for a ``size`` below its own."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(REPO_ROOT / case.config))
    if size and size < min(case.hw) and case.small:
        cfg.merge_from_dict(dict(case.small))
    return cfg


def model_cfg(cfg):
    """``cfg.model`` as the Runner builds it: the top-level data_preprocessor merged, offline."""
    from mmengine.config import ConfigDict

    model = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    if cfg.get('data_preprocessor') is not None:  # Runner.__init__ does this merge
        top = cfg.data_preprocessor
        model.setdefault('data_preprocessor', top.to_dict() if hasattr(top, 'to_dict') else top)
    return ConfigDict(_no_checkpoints(model))  # mmdet reads train_cfg.rpn as an attribute


def build_model(cfg, device: str) -> torch.nn.Module:
    """The config's model, built in its ``default_scope``, initialised, on ``device``."""
    from mmengine.logging import MMLogger
    from mmengine.registry import MODELS, init_default_scope

    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model = MODELS.build(model_cfg(cfg))
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs a line per parameter
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return model.to(device).train()


def batch_size(cfg, override: int | None) -> int:
    return int(override or cfg.train_dataloader.batch_size)


def frames_per_clip(cfg) -> int:
    """TSM: frames per clip = the backbone's segments (1x1x8: 8 clips of 1 frame)."""
    return int(cfg.model.backbone.get('num_segments', 8))


def sample_shape(case: Case, cfg, size: int | None) -> tuple[int, ...]:
    """Shape of one sample's ``inputs`` tensor (uint8)."""
    h, w = (size, size) if size else case.hw
    if case.kind == 'action':
        return (frames_per_clip(cfg), 3, h, w)  # [num_clips * clip_len, C, H, W]
    return (3, h, w)


def num_classes(case: Case, cfg) -> int:
    if case.kind == 'action':
        return int(cfg.model.cls_head.num_classes)
    if case.kind == 'det':
        return int(cfg.model.roi_head.bbox_head.num_classes)
    if case.kind == 'crash':
        return 2
    return int(cfg.model.head.num_classes)


def _det_sample(g: torch.Generator, h: int, w: int, classes: int):
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    n = 3
    wh = torch.rand(n, 2, generator=g) * torch.tensor([w, h]) * 0.4 + 8  # >= 8 px (min_size)
    xy = torch.rand(n, 2, generator=g) * (torch.tensor([w, h]) - wh)
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                         scale_factor=(1.0, 1.0), flip=False))
    sample.gt_instances = InstanceData(bboxes=torch.cat([xy, xy + wh], 1),
                                       labels=torch.randint(0, classes, (n, ), generator=g))
    return sample


def _sample(case: Case, g: torch.Generator, i: int, shape: tuple[int, ...], classes: int):
    """The data sample of item ``i``: a label (and boxes) as the train pipeline packs them."""
    label = i % classes
    if case.kind == 'action':
        from mmaction.structures import ActionDataSample
        return ActionDataSample().set_gt_label(label)
    if case.kind == 'det':
        return _det_sample(g, shape[-2], shape[-1], classes)
    from mmpretrain.structures import DataSample
    sample = DataSample(metainfo=dict(img_shape=shape[-2:], ori_shape=shape[-2:]))
    sample.set_gt_label(label)
    if case.kind == 'loc':
        lo = torch.rand(2, generator=g) * 0.5
        sample.set_field(torch.cat([lo, lo + 0.2 + torch.rand(2, generator=g) * 0.3]), 'gt_bbox')
    return sample


def synthetic_batch(case: Case, cfg, n: int, size: int | None, seed: int = 0) -> dict:
    """``n`` random samples, collated as ``pseudo_collate`` does (inputs stay on the CPU)."""
    g = torch.Generator().manual_seed(seed)
    shape = sample_shape(case, cfg, size)
    classes = num_classes(case, cfg)
    inputs = [torch.randint(0, 256, shape, dtype=torch.uint8, generator=g) for _ in range(n)]
    samples = [_sample(case, g, i, shape, classes) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def total_loss(losses: dict) -> torch.Tensor:
    """The sum of the ``loss*`` entries, reduced as ``BaseModel.parse_losses`` does."""
    total = 0
    for key, value in losses.items():
        if 'loss' not in key:
            continue
        total = total + (value.mean() if isinstance(value, torch.Tensor)
                         else sum(v.mean() for v in value))
    return total


def clip_fn(optim_cfg) -> Callable[[list[torch.Tensor]], Any] | None:
    """The config's gradient clipping as a plain torch call (None without ``clip_grad``)."""
    clip = optim_cfg.get('clip_grad')
    if not clip:
        return None
    clip = dict(clip)
    kind = clip.pop('type', 'norm')
    if kind == 'value':
        return lambda params: torch.nn.utils.clip_grad_value_(params, **clip)
    return lambda params: torch.nn.utils.clip_grad_norm_(params, **clip)
