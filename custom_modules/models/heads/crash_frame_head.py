"""One logit per frame: is this the crash ("crush moment") frame of a dashcam video?"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample
from torch import nn

from ...registry import register_in


@register_in(scopes=('mmpretrain', ), registry='MODELS')
class CrashFrameHead(BaseModule):
    """Binary frame head for mmpretrain's ``ImageClassifier``: one logit, BCE-with-logits.

    Works after any backbone + neck giving ``[N, C]`` features (4-D features are average-pooled
    first). The target is the sample's ``gt_label`` (1 = crash moment, 0 = any other frame).

    ``predict`` sets ``pred_score = [1 - p, p]`` (so mmpretrain's two-class tools, confusion
    matrices and dumps read it as class scores), ``pred_label = int(p >= threshold)`` and
    ``crash_prob = p``, where ``p = sigmoid(logit)``.

    Args:
        in_channels: Channels of the features.
        pos_weight: Weight of positive frames in the loss (BCE's ``pos_weight``); None = 1.
        label_smoothing: Targets become ``t * (1 - s) + s / 2``.
        loss_weight: Multiplies the loss.
        threshold: Probability at or above which ``pred_label`` is 1.
        dropout: Dropout before the logit.
        init_cfg: mmengine init config (None: normal init of the layer, std 0.01).
    """

    def __init__(self, in_channels: int, pos_weight: float | None = None,
                 label_smoothing: float = 0.0, loss_weight: float = 1.0, threshold: float = 0.5,
                 dropout: float = 0.0, init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg or dict(type='Normal', layer='Linear', std=0.01))
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'label_smoothing must be in [0, 1), got {label_smoothing}')
        if pos_weight is not None and pos_weight <= 0:
            raise ValueError(f'pos_weight must be > 0, got {pos_weight}')
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight
        self.threshold = threshold
        self.register_buffer('pos_weight', None if pos_weight is None
                             else torch.tensor([float(pos_weight)]), persistent=False)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, 1)

    def pre_logits(self, feats: tuple[torch.Tensor, ...] | torch.Tensor) -> torch.Tensor:
        """The last stage's features as ``[N, C]``."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.dim() == 4:  # [N, C, H, W] without a neck
            x = x.mean(dim=(2, 3))
        return x

    def forward(self, feats: tuple[torch.Tensor, ...] | torch.Tensor) -> torch.Tensor:
        """The logits, ``[N]``."""
        return self.fc(self.dropout(self.pre_logits(feats))).squeeze(1)

    @staticmethod
    def targets(data_samples: list[DataSample], device: torch.device) -> torch.Tensor:
        """``gt_label`` of every sample as a float ``[N]`` tensor of 0/1."""
        labels = torch.cat([s.gt_label.reshape(-1)[:1] for s in data_samples]).to(device)
        if ((labels != 0) & (labels != 1)).any():
            raise ValueError(f'CrashFrameHead expects labels 0/1, got {labels.unique().tolist()}')
        return labels.float()

    def loss(self, feats: tuple[torch.Tensor, ...], data_samples: list[DataSample],
             **kwargs) -> dict[str, torch.Tensor]:
        """BCE-with-logits loss (mean over the batch) and the batch's accuracy (logged only)."""
        logits = self(feats)
        target = self.targets(data_samples, logits.device)
        smoothed = target * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        loss = F.binary_cross_entropy_with_logits(logits, smoothed, pos_weight=self.pos_weight)
        with torch.no_grad():
            acc = ((torch.sigmoid(logits) >= self.threshold).float() == target).float().mean()
        return {'loss': loss * self.loss_weight, 'acc': acc}

    def predict(self, feats: tuple[torch.Tensor, ...],
                data_samples: list[DataSample | None] | None = None) -> list[DataSample]:
        """Per frame: ``crash_prob``, ``pred_score = [1 - p, p]`` and ``pred_label``."""
        probs = torch.sigmoid(self(feats)).detach()
        if data_samples is None:
            data_samples = [None] * probs.size(0)
        out = []
        for sample, p in zip(data_samples, probs):
            sample = sample if sample is not None else DataSample()
            sample.set_pred_score(torch.stack([1 - p, p]))
            sample.set_pred_label(int(p >= self.threshold))
            sample.set_field(float(p), 'crash_prob', field_type='metainfo')
            out.append(sample)
        return out
