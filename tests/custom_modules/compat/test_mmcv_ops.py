"""mmcv's nms / batched_nms / RoIAlign routed to torchvision's kernels give mmcv's results.

Against the compiled ops where this install has them (skipped on mmcv-lite), and against small
brute-force references written here (run everywhere).
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import custom_modules  # noqa: F401  (installs the routing before mmcv.ops is imported)
from custom_modules.compat import has_compiled_ops, install_ops_routing, ops_route, torchvision_ops
from custom_modules.compat.mmcv_ops import (
    INSTALL_HINT,
    ROUTE_ENV,
    CompiledOpMissing,
    RoutedExt,
    route_summary,
)
from custom_modules.utils.errors import PodiumError

pytestmark = pytest.mark.ops
needs_compiled = pytest.mark.skipif(not has_compiled_ops(),
                                    reason='mmcv has no compiled ops here (mmcv-lite)')


@pytest.fixture(autouse=True)
def auto_route(monkeypatch):
    monkeypatch.delenv(ROUTE_ENV, raising=False)


def both_routes(fn):
    """``fn()`` on mmcv's compiled kernels, then on torchvision's."""
    assert ops_route() == 'compiled'
    first = fn()
    with torchvision_ops():
        assert ops_route() == 'torchvision'
        second = fn()
    return first, second


def random_boxes(n: int, seed: int, size: float = 100.0, integer: bool = False):
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=gen) * size
    wh = torch.rand(n, 2, generator=gen) * size / 3
    boxes = torch.cat([xy, xy + wh], dim=1)
    return boxes.round() if integer else boxes


def nms_cases():
    """(name, boxes, scores): random, tied, overlapping, degenerate, outside, empty."""
    gen = torch.Generator().manual_seed(7)
    boxes = random_boxes(200, 1)
    same = torch.tensor([[10., 10., 50., 50.]]).repeat(20, 1)
    degenerate = torch.cat([random_boxes(40, 2), torch.tensor([[5., 5., 5., 30.]] * 5),
                            torch.tensor([[7., 7., 7., 7.]] * 5)])
    outside = random_boxes(80, 3) * 3 - 100  # partly negative and beyond a 100 px image
    return [
        ('random', boxes, torch.rand(200, generator=gen)),
        ('ties', boxes, (torch.rand(200, generator=gen) * 4).round() / 4),
        ('all_equal_scores', boxes[:120], torch.full((120, ), 0.5)),
        ('all_overlapping', same + torch.rand(20, 4, generator=gen), torch.rand(20, generator=gen)),
        ('identical_tied', same, torch.full((20, ), 0.3)),
        ('degenerate', degenerate, (torch.rand(50, generator=gen) * 3).round() / 3),
        ('outside', outside, torch.rand(80, generator=gen)),
        ('one', boxes[:1], torch.ones(1)),
        ('empty', torch.zeros(0, 4), torch.zeros(0)),
    ]


def reference_nms(boxes: torch.Tensor, scores: torch.Tensor, thr: float, offset: int = 0):
    """Greedy NMS in float32 numpy, in the order of mmcv's ``scores.sort(0, descending=True)``."""
    order = scores.sort(0, descending=True)[1].tolist()
    x1, y1, x2, y2 = boxes.numpy().astype(np.float32).T
    off, limit = np.float32(offset), np.float32(thr)
    area = (x2 - x1 + off) * (y2 - y1 + off)
    keep, dropped = [], set()
    for pos, i in enumerate(order):
        if i in dropped:
            continue
        keep.append(i)
        for j in order[pos + 1:]:
            w = max(np.float32(0), min(x2[i], x2[j]) - max(x1[i], x1[j]) + off)
            h = max(np.float32(0), min(y2[i], y2[j]) - max(y1[i], y1[j]) + off)
            inter = w * h
            with np.errstate(invalid='ignore', divide='ignore'):
                if inter / (area[i] + area[j] - inter) > limit:
                    dropped.add(j)
    return keep


@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('name,boxes,scores', nms_cases(), ids=[c[0] for c in nms_cases()])
def test_routed_nms_matches_brute_force(name, boxes, scores, offset):
    from mmcv.ops import nms

    if offset:  # whole pixels: x2 + 1 - x1 is then exactly x2 - x1 + 1
        boxes = boxes.round()
    with torchvision_ops():
        for thr in (0.3, 0.5, 0.7):
            dets, keep = nms(boxes, scores, thr, offset=offset)
            assert keep.tolist() == reference_nms(boxes, scores, thr, offset), (name, thr)
            assert dets.shape == (len(keep), 5)


def test_tied_scores_keep_mmcv_order_not_index_order():
    """Ties follow mmcv's unstable sort; torchvision.ops.nms alone sorts stably."""
    import torchvision
    from mmcv.ops import nms

    boxes = random_boxes(60, 5)
    scores = (torch.rand(60, generator=torch.Generator().manual_seed(5)) * 3).round() / 3
    with torchvision_ops():
        keep = nms(boxes, scores, 0.5)[1]
    assert keep.tolist() == reference_nms(boxes, scores, 0.5)
    if not torch.equal(scores.sort(0, descending=True)[1],
                       scores.sort(dim=0, descending=True, stable=True)[1]):
        assert not torch.equal(keep, torchvision.ops.nms(boxes, scores, 0.5))


@needs_compiled
@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('name,boxes,scores', nms_cases(), ids=[c[0] for c in nms_cases()])
def test_nms_matches_compiled(name, boxes, scores, offset):
    from mmcv.ops import nms

    for kwargs in (dict(iou_threshold=0.5), dict(iou_threshold=0.3, score_threshold=0.4),
                   dict(iou_threshold=0.7, max_num=5), dict(iou_threshold=0.0),
                   dict(iou_threshold=1.0)):
        compiled, routed = both_routes(
            lambda kwargs=kwargs: nms(boxes, scores, offset=offset, **kwargs))
        assert torch.equal(compiled[1], routed[1]), (name, kwargs)
        assert torch.equal(compiled[0], routed[0])
    # numpy in, numpy out, on both routes
    compiled, routed = both_routes(lambda: nms(boxes.numpy(), scores.numpy(), 0.5))
    assert isinstance(routed[1], np.ndarray) and np.array_equal(compiled[1], routed[1])


@needs_compiled
@pytest.mark.parametrize('class_agnostic', [False, True])
@pytest.mark.parametrize('split_thr', [10000, 50])  # 50: mmcv's per-class loop
def test_batched_nms_matches_compiled(class_agnostic, split_thr):
    from mmcv.ops import batched_nms

    gen = torch.Generator().manual_seed(11)
    boxes = random_boxes(400, 9)
    scores = (torch.rand(400, generator=gen) * 10).round() / 10  # many ties
    idxs = torch.randint(0, 4, (400, ), generator=gen)
    for cfg in (dict(type='nms', iou_threshold=0.5), dict(type='nms', iou_threshold=0.6,
                                                         max_num=30, offset=1)):
        cfg = dict(cfg, split_thr=split_thr)
        compiled, routed = both_routes(
            lambda cfg=cfg: batched_nms(boxes, scores, idxs, dict(cfg),
                                        class_agnostic=class_agnostic))
        assert torch.equal(compiled[1], routed[1])
        assert torch.equal(compiled[0], routed[0])


def roi_inputs(seed: int = 0, channels: int = 3, size: int = 12):
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(2, channels, size, size, generator=gen)
    rois = torch.tensor([
        [0, 1.3, 2.2, 9.7, 8.1],      # inside
        [1, -4.5, -3.0, 5.2, 6.6],    # partly left/above the map
        [0, 6.0, 7.5, 30.0, 21.0],    # partly right/below (spatial_scale 1)
        [1, 3.0, 3.0, 3.0, 3.0],      # a point
        [0, 2.0, 5.0, 2.6, 5.3],      # tiny
        [1, -20.0, -20.0, -15.0, -12.0],  # fully outside
        [0, 0.0, 0.0, 12.0, 12.0],    # the whole map
    ])
    return feats, rois


def run_roi_align(feats, rois, **kwargs):
    from mmcv.ops import RoIAlign

    x = feats.clone().requires_grad_(True)
    out = RoIAlign(**kwargs)(x, rois)
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(3))
    (out * weights).sum().backward()
    return out.detach(), x.grad


ROI_SETTINGS = [dict(output_size=(3, 2), spatial_scale=scale, sampling_ratio=ratio,
                     pool_mode=mode, aligned=aligned)
                for mode in ('avg', 'max') for aligned in (True, False) for ratio in (0, 2)
                for scale in (1.0, 0.5)]


def roi_id(s):
    return f"{s['pool_mode']}-aligned{int(s['aligned'])}-ratio{s['sampling_ratio']}-" \
           f"scale{s['spatial_scale']}"


@needs_compiled
@pytest.mark.parametrize('settings', ROI_SETTINGS, ids=roi_id)
def test_roi_align_matches_compiled(settings):
    feats, rois = roi_inputs()
    if settings['aligned']:  # mmcv refuses rois of negative size when aligned; none here
        assert bool(((rois[:, 3:] - rois[:, 1:3]) >= 0).all())
    (out_c, grad_c), (out_t, grad_t) = both_routes(lambda: run_roi_align(feats, rois, **settings))
    assert torch.allclose(out_c, out_t, atol=1e-5, rtol=0), (out_c - out_t).abs().max()
    assert torch.allclose(grad_c, grad_t, atol=1e-5, rtol=0), (grad_c - grad_t).abs().max()
    if settings['pool_mode'] == 'max' and settings['aligned'] and not settings['sampling_ratio']:
        assert (out_t == -10000).any()  # the point roi's bins have no sample: mmcv's -10000


@needs_compiled
@pytest.mark.parametrize('mode', ['avg', 'max'])
def test_roi_align_random_rois_match_compiled(mode):
    gen = torch.Generator().manual_seed(21)
    feats = torch.randn(3, 4, 20, 24, generator=gen)
    boxes = random_boxes(40, 4, size=110) - 10  # image ~ 96 px at stride 4, some outside
    rois = torch.cat([torch.randint(0, 3, (40, 1), generator=gen).float(), boxes], dim=1)
    for ratio in (0, 2):
        (out_c, grad_c), (out_t, grad_t) = both_routes(lambda ratio=ratio: run_roi_align(
            feats, rois, output_size=7, spatial_scale=0.25, sampling_ratio=ratio,
            pool_mode=mode, aligned=True))
        assert torch.allclose(out_c, out_t, atol=1e-5, rtol=0)
        assert torch.allclose(grad_c, grad_t, atol=1e-5, rtol=0)
    empty = torch.zeros(0, 5)
    (out_c, _), (out_t, grad_t) = both_routes(lambda: run_roi_align(feats, empty, output_size=7))
    assert out_c.shape == out_t.shape == (0, 4, 7, 7) and not grad_t.any()


def reference_roi_align(feats, rois, output_size, spatial_scale, sampling_ratio, pool_mode,
                        aligned):
    """mmcv's RoIAlign written out sample by sample (slow; differentiable by autograd)."""
    _, channels, height, width = feats.shape
    f32 = np.float32
    pooled_h, pooled_w = output_size
    bins = []
    for roi in rois.tolist():
        b = int(roi[0])
        off = f32(0.5 if aligned else 0.0)
        x0, y0, x1, y1 = (f32(v) * f32(spatial_scale) - off for v in roi[1:])
        roi_w, roi_h = x1 - x0, y1 - y0
        if not aligned:
            roi_w, roi_h = max(roi_w, f32(1)), max(roi_h, f32(1))
        bin_h, bin_w = roi_h / f32(pooled_h), roi_w / f32(pooled_w)
        grid_h = sampling_ratio or max(int(np.ceil(roi_h / f32(pooled_h))), 0)
        grid_w = sampling_ratio or max(int(np.ceil(roi_w / f32(pooled_w))), 0)
        for ph in range(pooled_h):
            for pw in range(pooled_w):
                samples = []
                for iy in range(grid_h):
                    y = y0 + f32(ph) * bin_h + f32(iy + 0.5) * bin_h / f32(grid_h)
                    for ix in range(grid_w):
                        x = x0 + f32(pw) * bin_w + f32(ix + 0.5) * bin_w / f32(grid_w)
                        samples.append(bilinear(feats[b], float(y), float(x), height, width))
                if pool_mode == 'avg':
                    bins.append(sum(samples) / max(len(samples), 1) if samples
                                else feats.new_zeros(channels))
                else:
                    bins.append(first_max(samples, channels, feats))
    return torch.stack(bins).reshape(len(rois), pooled_h, pooled_w, channels).permute(0, 3, 1, 2)


def bilinear(fmap, y, x, height, width):
    """The (C,) value at (y, x): zero beyond one pixel outside the map, clamped at its edges."""
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return fmap.new_zeros(fmap.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = min(int(y), height - 1), min(int(x), width - 1)
    y_high, x_high = min(y_low + 1, height - 1), min(x_low + 1, width - 1)
    ly = 0.0 if y_low == height - 1 else y - y_low
    lx = 0.0 if x_low == width - 1 else x - x_low
    return ((1 - ly) * (1 - lx) * fmap[:, y_low, x_low] + (1 - ly) * lx * fmap[:, y_low, x_high]
            + ly * (1 - lx) * fmap[:, y_high, x_low] + ly * lx * fmap[:, y_high, x_high])


def first_max(samples, channels, feats):
    """Per channel the first sample above -10000 that is largest; -10000 when none."""
    out = []
    for c in range(channels):
        best = feats.new_tensor(-10000.0)
        for value in samples:
            if value[c].item() > best.item():
                best = value[c]
        out.append(best)
    return torch.stack(out)


@pytest.mark.parametrize('settings', [s for s in ROI_SETTINGS if s['spatial_scale'] == 0.5],
                         ids=roi_id)
def test_routed_roi_align_matches_reference(settings):
    feats, rois = roi_inputs(seed=4, channels=2, size=8)
    with torchvision_ops():
        out, grad = run_roi_align(feats, rois, **settings)
    x = feats.clone().requires_grad_(True)
    ref = reference_roi_align(x, rois, **settings)
    weights = torch.randn(ref.shape, generator=torch.Generator().manual_seed(3))
    (ref * weights).sum().backward()
    assert torch.allclose(out, ref.detach(), atol=1e-5, rtol=0), (out - ref).abs().max()
    assert torch.allclose(grad, x.grad, atol=1e-5, rtol=0), (grad - x.grad).abs().max()


def test_dtypes_mmcv_refuses_run_on_torchvision():
    """bf16 features (autocast on CPU) and float64 boxes work on either install."""
    from mmcv.ops import RoIAlign, nms

    feats, rois = roi_inputs(seed=2, channels=2, size=8)
    for mode in ('avg', 'max'):
        layer = RoIAlign((2, 2), 0.5, 2, mode)
        x = feats.bfloat16().requires_grad_(True)
        out = layer(x, rois)
        out.float().sum().backward()
        assert out.dtype == torch.bfloat16 and x.grad.dtype == torch.bfloat16
        with torchvision_ops():
            ref, ref_grad = run_roi_align(feats.bfloat16().float(), rois, output_size=(2, 2),
                                          spatial_scale=0.5, sampling_ratio=2, pool_mode=mode)
        assert torch.allclose(out.float(), ref, atol=0.02, rtol=0.01)
        assert x.grad.float().abs().sum() > 0
    boxes, scores = random_boxes(50, 6), torch.rand(50, generator=torch.Generator().manual_seed(6))
    assert torch.equal(nms(boxes.double(), scores.double(), 0.5)[1], nms(boxes, scores, 0.5)[1])


def test_missing_compiled_op_fails_when_called_not_at_import():
    ext = RoutedExt(None)
    op = ext.deform_conv_forward  # what an mmcv op module looks up: no error yet
    with pytest.raises(CompiledOpMissing, match='deform_conv_forward') as err:
        op(torch.zeros(1))
    assert INSTALL_HINT in str(err.value) and isinstance(err.value, PodiumError)
    assert 'n/a' in ext.get_compiling_cuda_version()
    assert callable(ext.nms) and callable(ext.roi_align_forward)


def test_mmcv_ops_imports_with_routing_installed():
    import mmcv.ops

    nms_module = importlib.import_module('mmcv.ops.nms')
    roi_align_module = importlib.import_module('mmcv.ops.roi_align')
    assert isinstance(nms_module.ext_module, RoutedExt)
    assert isinstance(roi_align_module.ext_module, RoutedExt)
    assert hasattr(mmcv.ops, 'DeformConv2d')
    install_ops_routing()  # idempotent: still one wrapper
    from mmcv.utils import ext_loader
    assert not getattr(ext_loader.load_ext.__wrapped__, 'podium_routed', False)


@needs_compiled
def test_modules_imported_before_routing_are_rerouted():
    import mmcv._ext

    nms_module = importlib.import_module('mmcv.ops.nms')
    routed = nms_module.ext_module
    nms_module.ext_module = mmcv._ext  # as if imported before the routing was installed
    try:
        install_ops_routing()
        assert isinstance(nms_module.ext_module, RoutedExt)
    finally:
        nms_module.ext_module = routed


def test_route_follows_environment(monkeypatch):
    expected = 'compiled' if has_compiled_ops() else 'torchvision'
    assert ops_route() == expected
    assert route_summary().startswith('compiled' if has_compiled_ops() else 'torchvision-routed')
    assert ops_route('meta') == 'torchvision'  # a device mmcv has no kernel for
    with torchvision_ops():
        assert ops_route() == 'torchvision' and 'torchvision-routed' in route_summary()
    assert ops_route() == expected
    monkeypatch.setenv(ROUTE_ENV, 'compiled')
    with torchvision_ops():
        assert ops_route() == 'torchvision'
    assert ops_route() == expected
    monkeypatch.setenv(ROUTE_ENV, 'cuda-please')
    with pytest.raises(PodiumError, match=ROUTE_ENV):
        ops_route()


DEMO_DETECTOR = ('configs/faster_rcnn/'
                 'faster-rcnn_tinyconvnet_fpn_1xb8-step-4e_action-demo-frames-96px.py')


def detector_batch(seed: int = 0):
    """Two 96 px images with a few boxes each, as the data preprocessor receives them."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(2):
        image = torch.randint(0, 256, (3, 96, 96), generator=gen, dtype=torch.uint8)
        xy = torch.rand(3, 2, generator=gen) * 60
        sample = DetDataSample(metainfo=dict(img_shape=(96, 96), ori_shape=(96, 96),
                                             scale_factor=(1.0, 1.0), pad_shape=(96, 96)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, xy + 10 + torch.rand(3, 2, generator=gen) * 25], dim=1),
            labels=torch.randint(0, 2, (3, ), generator=gen))
        inputs.append(image)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def count_torchvision_calls(monkeypatch) -> dict[str, int]:
    """Calls of each torchvision-routed op, counted from now on."""
    from custom_modules.compat import mmcv_ops

    calls = dict.fromkeys(mmcv_ops._TORCHVISION, 0)

    def counted(name, fn):
        def run(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return run

    for name, fn in list(mmcv_ops._TORCHVISION.items()):
        monkeypatch.setitem(mmcv_ops._TORCHVISION, name, counted(name, fn))
    return calls


def demo_detector():
    """The demo's Faster R-CNN (TinyConvNet FPN), randomly initialised with a fixed seed."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from tests.conftest import REPO_ROOT

    cfg = Config.fromfile(str(REPO_ROOT / DEMO_DETECTOR))
    cfg.model.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(0)
        return MODELS.build(cfg.model)


def detector_losses(model):
    """Losses of one batch and the parameters' gradients."""
    torch.manual_seed(1)  # the samplers draw from torch's generator
    model.train()
    data = model.data_preprocessor(detector_batch(), training=True)
    total, values = model.parse_losses(model(**data, mode='loss'))
    model.zero_grad()
    total.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return {k: v.detach() for k, v in values.items()}, grads


def detector_predictions(model):
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(detector_batch(seed=5), training=False)
        return [s.pred_instances for s in model(**data, mode='predict')]


@needs_compiled
def test_faster_rcnn_loss_and_predict_match_between_routes(monkeypatch):
    model = demo_detector()
    calls = count_torchvision_calls(monkeypatch)
    loss_c, grad_c = detector_losses(model)
    assert not any(calls.values())  # compiled kernels only
    with torchvision_ops():
        loss_t, grad_t = detector_losses(model)
    assert all(calls.values()), calls  # nms, RoIAlign forward and backward all routed
    assert set(loss_c) == set(loss_t) and {'loss_rpn_cls', 'loss_cls', 'loss_bbox'} <= set(loss_c)
    for key in loss_c:
        assert torch.allclose(loss_c[key], loss_t[key], atol=1e-5, rtol=0), key
    assert grad_c.keys() == grad_t.keys()
    for name in grad_c:  # RoIAlign's backward reaches the neck and the backbone
        assert torch.allclose(grad_c[name], grad_t[name], atol=1e-5, rtol=1e-4), name
    pred_c, pred_t = both_routes(lambda: detector_predictions(model))
    for c, t in zip(pred_c, pred_t, strict=True):
        assert len(c) > 0 and torch.equal(c.labels, t.labels)
        assert torch.allclose(c.bboxes, t.bboxes, atol=1e-5, rtol=0)
        assert torch.allclose(c.scores, t.scores, atol=1e-5, rtol=0)


@pytest.mark.skipif(has_compiled_ops(), reason='the comparison with the compiled ops covers it')
def test_faster_rcnn_trains_and_predicts_without_compiled_ops(monkeypatch):
    model = demo_detector()
    calls = count_torchvision_calls(monkeypatch)
    losses, grads = detector_losses(model)
    assert all(calls.values()), calls
    assert all(torch.isfinite(v).all() for v in losses.values()) and losses['loss'] > 0
    assert any(name.startswith('backbone') for name in grads)
    for pred in detector_predictions(model):
        assert len(pred) > 0 and pred.bboxes.shape == (len(pred), 4)
