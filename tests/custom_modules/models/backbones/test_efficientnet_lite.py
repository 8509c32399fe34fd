from __future__ import annotations

import pytest
import torch
from torch import nn

from custom_modules.engine.hooks.progressive_unfreeze import find_stages
from custom_modules.models import EfficientNetLite


def test_lite0_layers_strides_and_channels():
    net = EfficientNetLite('lite0', out_indices=tuple(range(7))).eval()
    outs = net(torch.rand(1, 3, 64, 96))
    assert [tuple(o.shape[1:]) for o in outs] == [
        (32, 32, 48), (16, 32, 48), (24, 16, 24), (40, 8, 12), (112, 4, 6), (320, 2, 3),
        (1280, 2, 3)]
    assert net.out_channels == [32, 16, 24, 40, 112, 320, 1280]


def test_parameter_counts_match_the_published_lite_models():
    # Published sizes with the 1000-class classifier (1280 x 1000 + 1000): 4.7M, 5.4M, 6.1M.
    for arch, millions in (('lite0', 4.65), ('lite1', 5.42), ('lite2', 6.09)):
        n = sum(p.numel() for p in EfficientNetLite(arch).parameters()) + 1281 * 1000
        assert abs(n / 1e6 - millions) < 0.01, (arch, n)


def test_lite_models_have_no_se_and_use_relu6():
    net = EfficientNetLite('lite0')
    assert not any('se' in name.split('.') for name, _ in net.named_modules())
    assert any(isinstance(m, nn.ReLU6) for m in net.modules())
    assert not any(isinstance(m, (nn.SiLU, nn.Hardswish)) for m in net.modules())


def test_tf_padding_only_differs_from_symmetric_at_stride_2():
    tf = EfficientNetLite('lite0', out_indices=(0, )).eval()
    sym = EfficientNetLite('lite0', out_indices=(0, ), tf_padding=False).eval()
    sym.load_state_dict(tf.state_dict())
    x = torch.rand(1, 3, 32, 32)
    assert not torch.allclose(tf(x)[0], sym(x)[0])  # the stride-2 stem pads (0, 1) vs (1, 1)
    assert tf(x)[0].shape == sym(x)[0].shape


def test_frozen_stages_and_norm_eval():
    net = EfficientNetLite('lite0', frozen_stages=2, norm_eval=True)
    net.train()
    assert not any(p.requires_grad for layer in net.layers[:2] for p in layer.parameters())
    assert all(p.requires_grad for p in net.layers[2].parameters())
    assert not any(m.training for m in net.modules() if isinstance(m, nn.BatchNorm2d))


def test_progressive_unfreeze_finds_the_seven_layers():
    net = EfficientNetLite('lite0')
    assert find_stages(net) == list(net.layers) and len(net.layers) == 7


@pytest.mark.parametrize('kwargs', [dict(arch='b0'), dict(out_indices=(7, )),
                                    dict(frozen_stages=8), dict(out_indices=())])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        EfficientNetLite(**kwargs)


def test_negative_out_index_is_the_head():
    assert EfficientNetLite(out_indices=(-1, )).out_indices == (6, )


def test_pretrained_init_cfg_loads_backbone_weights(tmp_path):
    source = EfficientNetLite('lite0')
    state = {f'backbone.{k}': v for k, v in source.state_dict().items()}
    state['head.fc.weight'] = torch.zeros(1000, 1280)
    torch.save(dict(state_dict=state), tmp_path / 'w.pth')
    net = EfficientNetLite('lite0', init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'w.pth'), prefix='backbone.'))
    net.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(net.state_dict()[key], value), key


def test_registered_in_every_library_scope():
    from custom_modules.registry import ALL_SCOPES, library_registry

    for scope in ALL_SCOPES:
        assert library_registry(scope).get('EfficientNetLite') is EfficientNetLite
