"""Timed training steps for bench/gpu_check.py: mmengine's train_step vs a bare PyTorch loop.

- mmengine: ``model.train_step(batch, optim_wrapper)`` with the optim wrapper built from the
  config's ``optim_wrapper`` (constructor, paramwise rules, clipping) by
  ``mmengine.optim.build_optim_wrapper``; AMP swaps in ``AmpOptimWrapper(dtype=...)``. One step
  = data preprocessor (host-to-device copy, cast, normalise, pad, batch augments), forward,
  loss, ``parse_losses``, backward, clip, optimizer step, zero_grad, and the loss's ``.item()``
  (what the Runner's logging hooks do every iteration).
- bare: the same model and the same batch, preprocessed ONCE beforehand (on the device):
  ``model(**data, mode='loss')`` under ``torch.autocast`` for AMP, the sum of the losses,
  backward (a ``GradScaler`` for fp16), the config's clipping with ``torch.nn.utils``, and the
  config's optimizer class with its parameter groups as plain torch (``.step()``,
  ``.zero_grad()``), then ``.item()``. No mmengine code between the steps.

Warm-up iterations first, then ``iters`` timed ones between two device synchronisations.
"""
from __future__ import annotations

import contextlib
import copy
import gc
import math
import time
from collections.abc import Callable

import torch
from gpu_check_cases import clip_fn, total_loss

DTYPE_NAMES = {torch.bfloat16: 'bfloat16', torch.float16: 'float16'}


def amp_dtype(device: str, cfg=None, asked: str = 'auto') -> torch.dtype:
    """The AMP dtype of a case: ``asked`` (``bfloat16``/``float16``), else the one the config
    names (``optim_wrapper.dtype`` or ``amp_dtype``, as ``tools/train.py --amp`` reads it), else
    bf16; bf16 becomes fp16 on a GPU without bf16."""
    if asked == 'auto' and cfg is not None:
        asked = cfg.optim_wrapper.get('dtype') or cfg.get('amp_dtype') or 'auto'
    dtype = torch.float16 if asked == 'float16' else torch.bfloat16
    if dtype == torch.bfloat16 and device == 'cuda' and not torch.cuda.is_bf16_supported():
        return torch.float16
    return dtype


def _sync(device: str) -> Callable[[], None]:
    return torch.cuda.synchronize if device == 'cuda' else (lambda: None)


def reset_memory(device: str) -> None:
    """Free what the last case left and restart the peak counter."""
    gc.collect()
    if device == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_memory_mib(device: str) -> float | None:
    """``torch.cuda.max_memory_allocated`` since the last reset, in MiB (None on a CPU)."""
    if device != 'cuda':
        return None
    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def timed_steps(step: Callable[[], float], device: str, warmup: int, iters: int,
                samples_per_step: int) -> dict:
    """Run ``warmup`` then ``iters`` steps; samples/s, ms per step and the last loss."""
    sync = _sync(device)
    for _ in range(warmup):
        step()
    sync()
    start = time.perf_counter()
    losses = [step() for _ in range(iters)]
    sync()
    seconds = time.perf_counter() - start
    return {'samples_per_s': round(samples_per_step * iters / seconds, 3),
            'step_ms': round(seconds / iters * 1000, 2), 'iters': iters, 'warmup': warmup,
            'last_loss': losses[-1], 'loss_finite': all(math.isfinite(v) for v in losses)}


def optim_wrapper_cfg(cfg, dtype: torch.dtype | None) -> dict:
    """The config's ``optim_wrapper``; with ``dtype``, as an ``AmpOptimWrapper``."""
    ow = cfg.optim_wrapper
    ow = copy.deepcopy(ow.to_dict() if hasattr(ow, 'to_dict') else dict(ow))
    if dtype is None:
        ow.setdefault('type', 'OptimWrapper')
    else:
        ow.update(type='AmpOptimWrapper', dtype=DTYPE_NAMES[dtype])
        # as tools/train.py --amp: bf16 needs no loss scaling
        ow.setdefault('loss_scale', 1.0 if dtype == torch.bfloat16 else 'dynamic')
    return ow


def build_wrapper(model: torch.nn.Module, cfg, dtype: torch.dtype | None):
    """``build_optim_wrapper`` as the Runner calls it (the config's scope is the default)."""
    from mmengine.optim import build_optim_wrapper

    return build_optim_wrapper(model, optim_wrapper_cfg(cfg, dtype))


def mmengine_amp_refusal(device: str) -> str | None:
    """Why mmengine's AMP cannot run on ``device`` (None where it can)."""
    from mmengine.optim import AmpOptimWrapper

    if device == 'cuda':
        return None
    try:
        AmpOptimWrapper(optimizer=torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1),
                        dtype='bfloat16')
    except AssertionError as exc:  # 'only available training on gpu, npu, mlu or musa'
        return f'skipped: needs CUDA (mmengine AmpOptimWrapper: {str(exc).strip()})'
    return None


def measure_mmengine(model, cfg, batch: dict, device: str, dtype: torch.dtype | None,
                     warmup: int, iters: int) -> dict:
    """samples/s and peak memory of ``model.train_step`` through the config's optim wrapper."""
    reset_memory(device)
    wrapper = build_wrapper(model, cfg, dtype)

    def step() -> float:
        log_vars = model.train_step(batch, optim_wrapper=wrapper)
        return log_vars['loss'].detach().item()

    try:
        result = timed_steps(step, device, warmup, iters, len(batch['inputs']))
        result['peak_mem_mib'] = peak_memory_mib(device)
        result['optim_wrapper'] = type(wrapper).__name__
        result['optimizer'] = type(wrapper.optimizer).__name__
        return result
    finally:
        model.zero_grad(set_to_none=True)


def measure_bare(model, cfg, batch: dict, device: str, dtype: torch.dtype | None,
                 warmup: int, iters: int) -> dict:
    """samples/s and peak memory of the same step in plain PyTorch (module docstring)."""
    reset_memory(device)
    optimizer = build_wrapper(model, cfg, None).optimizer  # a plain torch optimizer
    params = [p for g in optimizer.param_groups for p in g['params'] if p.requires_grad]
    clip = clip_fn(cfg.optim_wrapper)
    scaler = torch.amp.GradScaler(device) if dtype == torch.float16 else None
    with torch.no_grad():
        data = model.data_preprocessor(batch, training=True)  # once: inputs on the device

    def step() -> float:
        autocast = (torch.autocast(device, dtype=dtype) if dtype is not None
                    else contextlib.nullcontext())
        with autocast:
            loss = total_loss(model(**data, mode='loss'))
        if scaler is not None:
            scaler.scale(loss).backward()
            if clip is not None:
                scaler.unscale_(optimizer)
                clip(params)
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            if clip is not None:
                clip(params)
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    try:
        result = timed_steps(step, device, warmup, iters, len(batch['inputs']))
        result['peak_mem_mib'] = peak_memory_mib(device)
        result['optimizer'] = type(optimizer).__name__
        return result
    finally:
        model.zero_grad(set_to_none=True)
