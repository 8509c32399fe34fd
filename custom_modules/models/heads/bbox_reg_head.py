"""One object per image: a class output and a box regressed from pooled features."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample
from torch import nn

from ...registry import register_in
from ...transforms.box_geometry import IDENTITY, to_original


@register_in(scopes=('mmpretrain', ), registry='MODELS')
class BBoxRegHead(BaseModule):
    """Class + box head for single-object localisation (under mmpretrain's ImageClassifier).

    Two classes use one logit and binary cross-entropy, more classes a softmax and
    cross-entropy. The box is 4 sigmoid outputs, ``(xmin, ymin, xmax, ymax)`` divided by the
    network input's width/height. ``loss = cls_loss + bbox_loss_weight * SmoothL1(box, target)``
    (mean over the 4 values and the batch; the origin used weights of 75 to 1000). The target is
    the data sample's ``gt_bbox`` (written by the ``BoxTarget`` transform).

    ``predict`` sets ``pred_score`` (class probabilities), ``pred_label``, ``pred_bbox_norm``
    and ``pred_bbox``: the box in the ORIGINAL image's pixels, by inverting the resize/letterbox/
    crop/flip recorded in the sample's ``box_affine`` metainfo (see ``box_geometry``).

    Args:
        num_classes: Number of classes (>= 2).
        in_channels: Channels of the features (a pooled ``[N, C]`` vector from a neck, or the
            backbone's ``[N, C, H, W]`` map without one).
        bbox_pool: How a ``[N, C, H, W]`` map feeds the box branch: ``'avg'`` (global average,
            like the class branch) or ``'flatten'`` (keeps where things are: easier boxes for
            small CNNs; needs ``feat_hw``). The class branch always averages: a class does not
            depend on where the object is.
        feat_hw: ``(H, W)`` of the map, for ``bbox_pool='flatten'``.
        hidden_channels: Width of a hidden layer in the box branch (None: linear).
        dropout: Dropout before both outputs.
        bbox_loss_weight: Weight of the SmoothL1 box loss.
        smooth_l1_beta: SmoothL1's beta (quadratic below it, linear above).
        cls_loss_weight: Weight of the classification loss.
        init_cfg: mmengine init config (None: normal init of the linear layers, std 0.01).
    """

    def __init__(self, num_classes: int, in_channels: int, bbox_pool: str = 'avg',
                 feat_hw: tuple[int, int] | None = None, hidden_channels: int | None = None,
                 dropout: float = 0.0, bbox_loss_weight: float = 75.0,
                 smooth_l1_beta: float = 1.0, cls_loss_weight: float = 1.0,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg or dict(type='Normal', layer='Linear', std=0.01))
        if num_classes < 2:
            raise ValueError(f'num_classes must be >= 2, got {num_classes}')
        if bbox_pool not in ('avg', 'flatten'):
            raise ValueError(f"bbox_pool must be 'avg' or 'flatten', got {bbox_pool!r}")
        if bbox_pool == 'flatten' and not feat_hw:
            raise ValueError("bbox_pool='flatten' needs feat_hw=(H, W) of the feature map")
        self.num_classes = num_classes
        self.bbox_pool = bbox_pool
        self.feat_hw = tuple(feat_hw) if feat_hw else None
        flat = bbox_pool == 'flatten'
        bbox_in = in_channels * (self.feat_hw[0] * self.feat_hw[1] if flat else 1)
        self.binary = num_classes == 2
        self.bbox_loss_weight = bbox_loss_weight
        self.smooth_l1_beta = smooth_l1_beta
        self.cls_loss_weight = cls_loss_weight
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, 1 if self.binary else num_classes)
        if hidden_channels:
            self.fc_bbox = nn.Sequential(nn.Linear(bbox_in, hidden_channels),
                                         nn.ReLU(inplace=True), nn.Linear(hidden_channels, 4))
        else:
            self.fc_bbox = nn.Linear(bbox_in, 4)

    def pre_logits(self, feats) -> tuple[torch.Tensor, torch.Tensor]:
        """The class branch's ``[N, C]`` and the box branch's ``[N, C]`` or ``[N, C*H*W]``."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.dim() == 2:
            if self.bbox_pool == 'flatten':
                raise ValueError("bbox_pool='flatten' needs the [N, C, H, W] map: drop the neck")
            return x, x
        if self.bbox_pool == 'flatten' and tuple(x.shape[2:]) != self.feat_hw:
            raise ValueError(f'feature map {tuple(x.shape[2:])} but feat_hw={self.feat_hw}: the '
                             f'input size changed?')
        pooled = x.mean(dim=(2, 3))
        return pooled, (x.flatten(1) if self.bbox_pool == 'flatten' else pooled)

    def forward(self, feats) -> tuple[torch.Tensor, torch.Tensor]:
        """Class logits ``[N, 1]`` (binary) or ``[N, K]``, and the box ``[N, 4]`` in [0, 1]."""
        cls_in, bbox_in = self.pre_logits(feats)
        return self.fc_cls(self.dropout(cls_in)), torch.sigmoid(self.fc_bbox(self.dropout(bbox_in)))

    def loss(self, feats, data_samples: list[DataSample], **kwargs) -> dict[str, torch.Tensor]:
        logits, boxes = self(feats)
        labels = torch.cat([ds.gt_label for ds in data_samples]).to(logits.device)
        targets = torch.stack([torch.as_tensor(ds.gt_bbox, dtype=boxes.dtype)
                               for ds in data_samples]).to(boxes.device)  # [N, 4]
        if self.binary:
            loss_cls = F.binary_cross_entropy_with_logits(logits[:, 0], labels.to(logits.dtype))
            correct = (logits[:, 0] > 0).long() == labels
        else:
            loss_cls = F.cross_entropy(logits, labels)
            correct = logits.argmax(1) == labels
        loss_bbox = F.smooth_l1_loss(boxes, targets, beta=self.smooth_l1_beta)
        return {'loss_cls': self.cls_loss_weight * loss_cls,
                'loss_bbox': self.bbox_loss_weight * loss_bbox,
                'accuracy': correct.float().mean().detach()}

    def predict(self, feats, data_samples: list[DataSample | None] | None = None
                ) -> list[DataSample]:
        logits, boxes = self(feats)
        if self.binary:
            p = torch.sigmoid(logits[:, 0])
            scores = torch.stack([1 - p, p], dim=1)
        else:
            scores = F.softmax(logits, dim=1)
        labels = scores.argmax(dim=1, keepdim=True)
        if data_samples is None:
            data_samples = [None] * len(boxes)
        out = []
        for ds, score, label, box in zip(data_samples, scores, labels, boxes):
            ds = DataSample() if ds is None else ds
            ds.set_pred_score(score.detach()).set_pred_label(label.detach())
            ds.set_field(box.detach(), 'pred_bbox_norm')
            if 'img_shape' in ds:
                ds.set_field(self.to_original(box, ds.metainfo), 'pred_bbox')
            out.append(ds)
        return out

    @staticmethod
    def to_original(box_norm: torch.Tensor, meta: dict) -> torch.Tensor:
        """A ``[4]`` box in [0, 1] of the network input -> original image pixels."""
        h, w = meta['img_shape'][:2]
        pixels = box_norm.detach().cpu().double().numpy() * np.array([w, h, w, h])
        affine = meta.get('box_affine', IDENTITY)
        box = to_original(pixels[None], affine, meta.get('ori_shape'))[0]
        return torch.as_tensor(box, dtype=torch.float32)
