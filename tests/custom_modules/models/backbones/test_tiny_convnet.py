from __future__ import annotations

import pytest
import torch

from custom_modules.models import TinyConvNet


def test_stage_shapes_and_selection():
    net = TinyConvNet(base_channels=4, num_stages=3, out_indices=(0, 2))
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 4, 16, 16), (2, 16, 4, 4)]


def test_single_output_returns_tensor():
    out = TinyConvNet(base_channels=4, num_stages=2, out_indices=(1, ), single_output=True)(
        torch.rand(1, 3, 8, 8))
    assert isinstance(out, torch.Tensor) and out.shape == (1, 8, 2, 2)


@pytest.mark.parametrize('kwargs', [dict(num_stages=2, out_indices=(2, )),
                                    dict(out_indices=(1, 2), single_output=True)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        TinyConvNet(**kwargs)


def test_gradients_reach_the_input_stage():
    net = TinyConvNet(base_channels=4, num_stages=2, out_indices=(1, ))
    net(torch.rand(2, 3, 8, 8))[0].sum().backward()
    assert net.stages[0][0].weight.grad.abs().sum() > 0
