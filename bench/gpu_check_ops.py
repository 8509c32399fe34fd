"""mmcv's nms and RoIAlign on both routes (bench/gpu_check.py): same answers, and how fast.

``custom_modules.compat.mmcv_ops`` sends ``mmcv.ops.nms`` / ``RoIAlign`` to mmcv's compiled
kernel where mmcv has one for the tensor's device, else to torchvision's; ``torchvision_ops()``
forces torchvision. On a device where both exist, the same inputs go through both: nms keep
indices must be identical, RoIAlign's output and input gradient agree within float32 rounding.
Where mmcv has no kernel (mmcv-lite, or a CPU-only build given CUDA tensors) only the torchvision
route is timed and the comparison is ``n/a``. Workloads are Faster R-CNN-like: an RPN-sized nms,
and RoIAlign 7x7 of 512 RoIs per image on a stride-4 FPN level.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

# device -> (nms boxes, RoIAlign features [N, C, H, W], RoIs per image, timed repetitions)
WORKLOADS = {'cuda': (12000, (2, 256, 200, 336), 512, 20),
             'cpu': (1000, (1, 16, 50, 84), 64, 3)}
IOU_THRESHOLD = 0.7  # the RPN's
STRIDE = 4


def _median_ms(fn: Callable[[], object], device: str, reps: int) -> tuple[float, object]:
    """Median milliseconds of ``fn`` over ``reps`` runs after 2 warm-ups, and its last result."""
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    out = None
    for _ in range(2):
        out = fn()
    times = []
    for _ in range(reps):
        sync()
        start = time.perf_counter()
        out = fn()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3), out


def _boxes(g: torch.Generator, n: int, width: float, height: float) -> torch.Tensor:
    """``n`` random xyxy boxes inside a ``width`` x ``height`` image, 4 to 30% of its size."""
    size = torch.rand(n, 2, generator=g) * 0.26 + 0.04
    size = size * torch.tensor([width, height])
    xy = torch.rand(n, 2, generator=g) * (torch.tensor([width, height]) - size)
    return torch.cat([xy, xy + size], 1)


def _inputs(device: str, seed: int = 0) -> dict:
    n_boxes, feat_shape, per_image, reps = WORKLOADS[device]
    g = torch.Generator().manual_seed(seed)
    n, _, h, w = feat_shape
    width, height = w * STRIDE, h * STRIDE
    rois = torch.cat([torch.cat([torch.full((per_image, 1), float(i)),
                                 _boxes(g, per_image, width, height)], 1) for i in range(n)])
    return dict(boxes=_boxes(g, n_boxes, width, height).to(device),
                scores=torch.rand(n_boxes, generator=g).to(device),
                feats=torch.randn(feat_shape, generator=g).to(device), rois=rois.to(device),
                reps=reps)


def _roi_align_run(roi_align, feats: torch.Tensor, rois: torch.Tensor, upstream: torch.Tensor):
    """Forward + backward of ``roi_align``; (output, input gradient)."""
    x = feats.detach().requires_grad_(True)
    out = roi_align(x, rois)
    out.backward(upstream)
    return out.detach(), x.grad


def _route_results(device: str, data: dict) -> dict:
    """Timings and results of nms and RoIAlign on the route that is active now."""
    from mmcv.ops import RoIAlign, nms

    roi_align = RoIAlign((7, 7), spatial_scale=1 / STRIDE, sampling_ratio=0, pool_mode='avg',
                         aligned=True)
    upstream = torch.ones(data['rois'].shape[0], data['feats'].shape[1], 7, 7,
                          device=data['feats'].device)
    nms_ms, (_, keep) = _median_ms(
        lambda: nms(data['boxes'], data['scores'], IOU_THRESHOLD), device, data['reps'])
    roi_ms, (out, grad) = _median_ms(
        lambda: _roi_align_run(roi_align, data['feats'], data['rois'], upstream), device,
        data['reps'])
    return dict(nms_ms=nms_ms, keep=keep.cpu(), roi_align_ms=roi_ms, out=out, grad=grad)


def ops_check(device: str) -> dict:
    """Both routes of nms / RoIAlign on ``device`` (module docstring); a JSON-able dict."""
    from custom_modules.compat import mmcv_ops

    route = mmcv_ops.ops_route(device)
    data = _inputs(device)
    n_boxes, feat_shape, per_image, reps = WORKLOADS[device]
    result = {
        'device': device, 'default_route': route,
        'compiled_ops': mmcv_ops.has_compiled_ops(), 'route_summary': mmcv_ops.route_summary(),
        'workload': {'nms_boxes': n_boxes, 'iou_threshold': IOU_THRESHOLD,
                     'roi_align_features': list(feat_shape), 'rois': per_image * feat_shape[0],
                     'roi_align': '7x7, spatial_scale 1/4, sampling_ratio 0, aligned, avg; '
                                  'forward + backward', 'reps': reps},
    }
    with mmcv_ops.torchvision_ops():
        tv = _route_results(device, data)
    result['torchvision'] = {'nms_ms': tv['nms_ms'], 'nms_kept': int(tv['keep'].numel()),
                             'roi_align_fwd_bwd_ms': tv['roi_align_ms']}
    if route != 'compiled':
        reason = ('n/a (lite mode)' if not mmcv_ops.has_compiled_ops()
                  else f'n/a (mmcv has no {device} kernels)')
        result['mmcv'] = result['compare'] = reason
        return result
    mm = _route_results(device, data)
    result['mmcv'] = {'nms_ms': mm['nms_ms'], 'nms_kept': int(mm['keep'].numel()),
                      'roi_align_fwd_bwd_ms': mm['roi_align_ms']}
    result['compare'] = {
        'nms_keep_identical': bool(torch.equal(mm['keep'], tv['keep'])),
        'roi_align_out_max_abs_diff': float((mm['out'] - tv['out']).abs().max()),
        'roi_align_grad_max_abs_diff': float((mm['grad'] - tv['grad']).abs().max()),
    }
    return result
