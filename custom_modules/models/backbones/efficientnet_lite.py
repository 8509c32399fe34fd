"""EfficientNet-Lite: the mobile EfficientNet without squeeze-excitation, with ReLU6.

The Lite family (TensorFlow's ``efficientnet/lite``) drops SE and swish so it quantises and
runs fast on CPUs; its stem (32) and head (1280) channels and the first and last stage's
repeats stay fixed when the model is scaled. The ImageNet weights podium installs
(``tools/convert_efficientnet_lite.py``) are TensorFlow ports: they expect TensorFlow's "same"
padding on the stride-2 convolutions (``tf_padding=True``), BatchNorm eps 1e-3 and inputs
normalised with mean 127.5, std 127.5 on 0-255.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from mmcv.cnn import ConvModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.utils import InvertedResidual, make_divisible
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import register_in

# Lite0's MBConv stages: (repeats, kernel, stride, expand ratio, out channels).
LITE_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
               (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
# The MBConv stages each entry of ``layers`` holds, between the stem and the head: one entry per
# output stride (2, 4, 8, 16, 32), as mmpretrain's EfficientNet groups them.
STAGE_GROUPS = ((0, ), (1, ), (2, ), (3, 4), (5, 6))


@register_in()
class EfficientNetLite(BaseBackbone):
    """EfficientNet-Lite0..4 in mmpretrain's backbone conventions.

    ``layers`` is a ModuleList of 7 entries: the stem (stride 2), five groups of MBConv blocks
    (strides 2, 4, 8, 16, 32 overall; 16, 24, 40, 112, 320 channels for lite0) and the 1x1
    head conv (1280 channels). ``out_indices`` index it (default: the head's map), as
    ``frozen_stages`` and ProgressiveUnfreezeHook's ``find_stages('auto')`` do.

    Args:
        arch: ``lite0`` .. ``lite4`` (width and depth multipliers; see ``arch_settings``).
        out_indices: Entries of ``layers`` whose outputs are returned.
        frozen_stages: The first ``frozen_stages`` entries of ``layers`` are frozen (0: none).
        tf_padding: TensorFlow "same" padding on stride-2 convolutions (what the TF-ported
            ImageNet weights need); False: symmetric ``k // 2`` padding everywhere.
        drop_path_rate: Stochastic depth, rising linearly over the blocks up to this rate.
        channels_last: Run the convolutions on channels-last (NHWC) tensors: about 1.4x faster
            training on CPUs (oneDNN's depthwise kernels); the outputs are contiguous NCHW.
        norm_cfg: Normalisation layers (BatchNorm with TensorFlow's eps by default).
        act_cfg: Activation (ReLU6 for the Lite models).
        norm_eval: Keep BatchNorm layers in eval mode while training (frozen statistics).
        init_cfg: mmengine init config, e.g. ``dict(type='Pretrained', checkpoint=FILE,
            prefix='backbone.')`` for podium's converted ImageNet weights.
    """

    # arch -> (width multiplier, depth multiplier, native resolution)
    arch_settings = {
        'lite0': (1.0, 1.0, 224),
        'lite1': (1.0, 1.1, 240),
        'lite2': (1.1, 1.2, 260),
        'lite3': (1.2, 1.4, 280),
        'lite4': (1.4, 1.8, 300),
    }
    stem_channels = 32
    head_channels = 1280

    def __init__(self, arch: str = 'lite0', out_indices: Sequence[int] = (6, ),
                 frozen_stages: int = 0, tf_padding: bool = True, drop_path_rate: float = 0.0,
                 channels_last: bool = True, norm_cfg: dict | None = None,
                 act_cfg: dict | None = None, norm_eval: bool = False,
                 init_cfg: dict | list | None = None) -> None:
        if init_cfg is None:
            init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                        dict(type='Constant', layer=['_BatchNorm', 'GroupNorm'], val=1)]
        super().__init__(init_cfg)
        if arch not in self.arch_settings:
            raise ValueError(f'arch {arch!r} is not one of {", ".join(self.arch_settings)}')
        num_layers = len(STAGE_GROUPS) + 2
        out_indices = tuple(i + num_layers if i < 0 else i for i in out_indices)
        if not out_indices or not all(0 <= i < num_layers for i in out_indices):
            raise ValueError(f'out_indices {out_indices} must lie in 0..{num_layers - 1}')
        if not 0 <= frozen_stages <= num_layers:
            raise ValueError(f'frozen_stages must lie in 0..{num_layers}, got {frozen_stages}')
        self.arch = arch
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.tf_padding = tf_padding
        self.channels_last = channels_last
        self.norm_cfg = norm_cfg or dict(type='BN', eps=1e-3, momentum=0.01)
        self.act_cfg = act_cfg or dict(type='ReLU6')
        stages = self.stage_settings(arch)
        num_blocks = sum(s[0] for s in stages)
        rates = torch.linspace(0, drop_path_rate, num_blocks).tolist() if num_blocks else []

        self.layers = nn.ModuleList([self._conv(3, self.stem_channels, 3, 2)])
        channels, block = self.stem_channels, 0
        self.out_channels = [self.stem_channels]
        for group in STAGE_GROUPS:
            blocks = []
            for repeats, kernel, stride, expand, width in (stages[i] for i in group):
                for r in range(repeats):
                    step = stride if r == 0 else 1
                    blocks.append(InvertedResidual(
                        channels, width, channels * expand, kernel_size=kernel, stride=step,
                        conv_cfg=self._conv_cfg(step), norm_cfg=self.norm_cfg,
                        act_cfg=self.act_cfg, drop_path_rate=rates[block]))
                    channels, block = width, block + 1
            self.layers.append(nn.Sequential(*blocks))
            self.out_channels.append(channels)
        self.layers.append(self._conv(channels, self.head_channels, 1, 1))
        self.out_channels.append(self.head_channels)

    @classmethod
    def stage_settings(cls, arch: str) -> list[tuple[int, int, int, int, int]]:
        """The scaled MBConv stages of ``arch``: channels x width (rounded to 8), repeats x
        depth (rounded up) except the first and last stage, as the Lite models keep them."""
        width, depth, _ = cls.arch_settings[arch]
        last = len(LITE_STAGES) - 1
        return [(n if i in (0, last) else int(math.ceil(n * depth)), k, s, e,
                 make_divisible(c * width, 8))
                for i, (n, k, s, e, c) in enumerate(LITE_STAGES)]

    def _conv_cfg(self, stride: int) -> dict | None:
        # TF "same" and symmetric padding agree at stride 1 (odd kernels): pad dynamically only
        # where they differ, which keeps the stride-1 convolutions plain and fast.
        return dict(type='Conv2dAdaptivePadding') if self.tf_padding and stride > 1 else None

    def _conv(self, cin: int, cout: int, kernel: int, stride: int) -> ConvModule:
        return ConvModule(cin, cout, kernel, stride=stride, padding=kernel // 2,
                          conv_cfg=self._conv_cfg(stride), norm_cfg=self.norm_cfg,
                          act_cfg=self.act_cfg)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)  # the layers keep the format
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)  # [N, out_channels[i], H / 2**min(i + 1, 5), ...]
            if i in self.out_indices:
                outs.append(x.contiguous())
        return tuple(outs)

    def _freeze_stages(self) -> None:
        for layer in self.layers[:self.frozen_stages]:
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> EfficientNetLite:
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

