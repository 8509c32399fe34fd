"""A small plain CNN backbone for CPU demos and tests, usable by all three libraries."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from ...registry import register_in


@register_in()
class TinyConvNet(BaseModule):
    """Stages of (conv3x3-BN-ReLU) x2, each halving the resolution and widening the channels.

    Small enough to train in seconds on a CPU (the toy config, the demo solution, tests), and
    shaped like the libraries' backbones: it returns a tuple of the stages in ``out_indices``
    (mmpretrain necks, mmdet FPN) or, with ``single_output=True``, just the last one as a tensor
    (mmaction's 2D recognisers feed the backbone output straight to the head).

    Args:
        in_channels: input channels.
        base_channels: channels of the first stage; each next stage doubles them.
        num_stages: number of stride-2 stages.
        out_indices: stages to return.
        single_output: return a tensor instead of a one-element tuple.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 16, num_stages: int = 4,
                 out_indices: Sequence[int] = (3, ), single_output: bool = False,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not all(0 <= i < num_stages for i in out_indices):
            raise ValueError(f'out_indices {tuple(out_indices)} outside 0..{num_stages - 1}')
        if single_output and len(out_indices) != 1:
            raise ValueError('single_output=True needs exactly one out_index')
        self.out_indices = tuple(out_indices)
        self.single_output = single_output
        self.stage_channels = [base_channels * 2**i for i in range(num_stages)]
        stages, channels = [], in_channels
        for width in self.stage_channels:
            stages.append(nn.Sequential(
                nn.Conv2d(channels, width, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                nn.Conv2d(width, width, 3, padding=1, bias=False),
                nn.BatchNorm2d(width), nn.ReLU(inplace=True)))
            channels = width
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)  # [N, C_i, H / 2**(i+1), W / 2**(i+1)]
            if i in self.out_indices:
                outs.append(x)
        return outs[0] if self.single_output else tuple(outs)
