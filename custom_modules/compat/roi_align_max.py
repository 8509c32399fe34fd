"""RoIAlign with max pooling inside each bin, in PyTorch (torchvision has only the average).

Mirrors mmcv's CPU kernel step by step, in the same float arithmetic, so the outputs, the
argmax sample coordinates it records and the input gradient match mmcv's: each bin takes the
first sample whose bilinear value is the largest and above -10000 (mmcv's starting value; a bin
with no such sample outputs -10000 and records -1), and the backward spreads the bin's gradient
over the four pixels around that sample. Works on any device; rois of equal sampling grids are
handled together.
"""
from __future__ import annotations

import torch
from torch import Tensor

EMPTY_BIN = -10000.0  # mmcv's initial max value and its output for a bin without samples


def _roi_geometry(rois: Tensor, spatial_scale: float, pooled_h: int, pooled_w: int,
                  sampling_ratio: int, aligned: bool):
    """Per roi: start (y, x), bin size (h, w) and sampling grid (h, w), as mmcv computes them."""
    scale = rois.new_tensor(spatial_scale)
    offset = 0.5 if aligned else 0.0
    start_w, start_h = rois[:, 1] * scale - offset, rois[:, 2] * scale - offset
    roi_w = (rois[:, 3] * scale - offset) - start_w
    roi_h = (rois[:, 4] * scale - offset) - start_h
    if not aligned:  # mmcv's backward compatibility: malformed rois count as 1 x 1
        roi_w, roi_h = roi_w.clamp_min(1.0), roi_h.clamp_min(1.0)
    bin_h, bin_w = roi_h / pooled_h, roi_w / pooled_w
    if sampling_ratio > 0:
        grid_h = torch.full_like(roi_h, sampling_ratio, dtype=torch.long)
        grid_w = grid_h.clone()
    else:
        grid_h = torch.ceil(roi_h / pooled_h).long().clamp_min(0)
        grid_w = torch.ceil(roi_w / pooled_w).long().clamp_min(0)
    return start_h, start_w, bin_h, bin_w, grid_h, grid_w


def _sample_coords(start: Tensor, size: Tensor, pooled: int, grid: int) -> Tensor:
    """Sample coordinates (n, pooled, grid) along one axis, in mmcv's order of operations."""
    bins = torch.arange(pooled, device=start.device).to(start.dtype)
    steps = torch.arange(grid, device=start.device).to(start.dtype) + 0.5
    return (start[:, None, None] + bins[None, :, None] * size[:, None, None]
            + steps[None, None, :] * size[:, None, None] / grid)


def _axis_weights(coord: Tensor, limit: int):
    """Bilinear neighbours along one axis: (inside, low, high, weight low, weight high)."""
    inside = (coord >= -1.0) & (coord <= limit)
    c = coord.clamp_min(0)
    low = c.long()  # truncation as (int) in C++; c >= 0 here
    at_edge = low >= limit - 1
    low = torch.where(at_edge, torch.full_like(low, limit - 1), low)
    high = torch.where(at_edge, low, low + 1)
    c = torch.where(at_edge, low.to(c.dtype), c)
    frac = c - low.to(c.dtype)
    return inside, low, high, 1.0 - frac, frac


def _group_max(feats: Tensor, ys: Tensor, xs: Tensor, height: int, width: int):
    """Max over each bin's samples for rois whose features are ``feats`` (n, C, H*W)."""
    n, channels = feats.shape[:2]
    _, pooled_h, gh = ys.shape
    _, pooled_w, gw = xs.shape
    in_y, y_low, y_high, hy, ly = _axis_weights(ys, height)
    in_x, x_low, x_high, hx, lx = _axis_weights(xs, width)
    # (n, PH, gh, PW, gw): samples outside the map weigh 0 at pixel 0, as in mmcv
    shape = (n, pooled_h, gh, pooled_w, gw)
    inside = (in_y[:, :, :, None, None] & in_x[:, None, None, :, :]).expand(shape)
    zero = feats.new_zeros(())

    def weight(wy: Tensor, wx: Tensor) -> Tensor:
        w = wy[:, :, :, None, None] * wx[:, None, None, :, :]
        return torch.where(inside, w, zero).reshape(n, 1, -1)

    def pixel(py: Tensor, px: Tensor) -> Tensor:
        pos = py[:, :, :, None, None] * width + px[:, None, None, :, :]
        pos = torch.where(inside, pos, torch.zeros_like(pos)).reshape(n, 1, -1)
        return feats.gather(2, pos.expand(n, channels, pos.shape[2]))

    val = (weight(hy, hx) * pixel(y_low, x_low) + weight(hy, lx) * pixel(y_low, x_high)
           + weight(ly, hx) * pixel(y_high, x_low) + weight(ly, lx) * pixel(y_high, x_high))
    val = val.reshape(n, channels, pooled_h, gh, pooled_w, gw).permute(0, 1, 2, 4, 3, 5)
    best, arg = val.reshape(n, channels, pooled_h, pooled_w, gh * gw).max(dim=-1)
    found = best > EMPTY_BIN
    iy, ix = arg // gw, arg % gw
    rows = torch.arange(pooled_h, device=ys.device)[None, None, :, None]
    cols = torch.arange(pooled_w, device=xs.device)[None, None, None, :]
    idx = torch.arange(n, device=ys.device)[:, None, None, None]
    arg_y = ys[idx, rows, iy]
    arg_x = xs[idx, cols, ix]
    missing = best.new_full((), -1.0)
    return (torch.where(found, best, best.new_full((), EMPTY_BIN)),
            torch.where(found, arg_y, missing), torch.where(found, arg_x, missing))


def roi_align_max_forward(input: Tensor, rois: Tensor, output: Tensor, argmax_y: Tensor,
                          argmax_x: Tensor, pooled_h: int, pooled_w: int, spatial_scale: float,
                          sampling_ratio: int, aligned: bool) -> None:
    """Fill ``output``, ``argmax_y`` and ``argmax_x`` (R, C, PH, PW) in place, like mmcv."""
    output.fill_(EMPTY_BIN)
    argmax_y.fill_(-1.0)
    argmax_x.fill_(-1.0)
    if rois.shape[0] == 0:
        return
    if input.dtype == torch.bfloat16:  # mmcv has no bf16 kernel: sample in float32
        input = input.float()
    batch, channels, height, width = input.shape
    rois = rois.to(input.dtype)  # mmcv reads rois in the features' dtype
    start_h, start_w, bin_h, bin_w, grid_h, grid_w = _roi_geometry(
        rois, spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned)
    flat = input.reshape(batch, channels, height * width)
    grids = torch.stack([grid_h, grid_w], dim=1)
    for gh, gw in torch.unique(grids, dim=0).tolist():
        if gh == 0 or gw == 0:
            continue  # no samples: stays EMPTY_BIN / -1 as in mmcv
        idx = torch.nonzero((grids[:, 0] == gh) & (grids[:, 1] == gw)).squeeze(1)
        ys = _sample_coords(start_h[idx], bin_h[idx], pooled_h, gh)
        xs = _sample_coords(start_w[idx], bin_w[idx], pooled_w, gw)
        feats = flat[rois[idx, 0].long()]
        best, arg_y, arg_x = _group_max(feats, ys, xs, height, width)
        output[idx] = best.to(output.dtype)
        argmax_y[idx] = arg_y.to(argmax_y.dtype)
        argmax_x[idx] = arg_x.to(argmax_x.dtype)


def roi_align_max_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor,
                           argmax_x: Tensor, grad_input: Tensor) -> None:
    """Add each bin's gradient to the 4 pixels around its argmax sample, into ``grad_input``."""
    if rois.shape[0] == 0:
        return
    _, channels, height, width = grad_input.shape
    n, _, pooled_h, pooled_w = grad_output.shape
    in_y, y_low, y_high, hy, ly = _axis_weights(argmax_y, height)
    in_x, x_low, x_high, hx, lx = _axis_weights(argmax_x, width)
    use = (argmax_y != -1.0) & in_y & in_x
    batch = rois[:, 0].long()[:, None, None, None]
    chan = torch.arange(channels, device=rois.device)[None, :, None, None]
    base = (batch * channels + chan) * (height * width)
    base = base.expand(n, channels, pooled_h, pooled_w)
    flat = grad_input.view(-1)
    g = grad_output
    for wy, wx, py, px in ((hy, hx, y_low, x_low), (hy, lx, y_low, x_high),
                           (ly, hx, y_high, x_low), (ly, lx, y_high, x_high)):
        contrib = g * (wy * wx)
        pos = base + py * width + px
        flat.index_add_(0, pos[use], contrib[use].to(flat.dtype))
