"""Run mmcv's ``nms`` (so ``batched_nms``) and ``RoIAlign`` on torchvision's kernels.

mmcv's op modules take their kernels from ``ext_loader.load_ext('_ext', [...])`` at import
and call ``ext_module.nms(...)`` / ``ext_module.roi_align_forward(...)`` at call time. We wrap
``load_ext`` so every op module gets a :class:`RoutedExt` instead. For ``nms``,
``roi_align_forward`` and ``roi_align_backward`` it runs torchvision's CPU/CUDA kernels when
mmcv has no compiled extension (the ``mmcv-lite`` wheel), when the tensor's device has no
compiled kernel (a CPU-only build given CUDA tensors), or always under ``PODIUM_OPS=torchvision``
(read at call time); otherwise mmcv's own kernel. mmcv's Python around them (score threshold,
``max_num``, ``batched_nms``, the autograd Function writing its output in place) is unchanged.
Any other op without a compiled extension raises :class:`CompiledOpMissing` when called, so
``import mmcv.ops`` works everywhere.

Same results as mmcv's kernels: kept boxes in the order of ``scores.sort(0, descending=True)``
(mmcv's own, unstable, tie order), the IoU threshold compared in float32, ``offset=1`` as boxes
one pixel larger, RoIAlign's ``aligned`` / ``sampling_ratio`` / ``avg`` from torchvision and
``max`` from :mod:`.roi_align_max`. Dtypes mmcv's kernels refuse (bfloat16 features, float64
boxes) also run on torchvision's, in float32 or float64.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from ..utils.errors import PodiumError
from .roi_align_max import roi_align_max_backward, roi_align_max_forward

ROUTE_ENV = 'PODIUM_OPS'
ROUTES = ('compiled', 'torchvision')
_AUTO = ('', 'auto', 'compiled')  # compiled wherever mmcv has a kernel for the device
INSTALL_HINT = 'PODIUM_MMCV=compiled bash install.sh'
_FULL = (torch.float32, torch.float64)  # dtypes torchvision's kernels take everywhere
_state: dict = {}  # 'ext': mmcv._ext or None, 'reason': why it is missing, 'cuda': bool


class CompiledOpMissing(PodiumError, RuntimeError):
    """An mmcv op that needs mmcv's compiled extension, which this install does not have."""


def _load_compiled():
    """mmcv's compiled extension, or None (the reason kept for messages); looked up once."""
    if 'ext' not in _state:
        try:
            _state['ext'] = importlib.import_module('mmcv._ext')
            _state['reason'] = ''
        except ImportError as err:
            _state['ext'], _state['reason'] = None, f'{type(err).__name__}: {err}'
        ext = _state['ext']
        cuda = ext.get_compiling_cuda_version() if ext is not None else 'not available'
        _state['cuda'] = str(cuda).strip().lower() not in ('not available', '', 'none')
    return _state['ext']


def has_compiled_ops() -> bool:
    """True when mmcv's compiled extension (``mmcv._ext``) imports."""
    return _load_compiled() is not None


def _forced() -> bool:
    """True when ``PODIUM_OPS`` asks for torchvision everywhere (an unknown value is an error)."""
    value = os.environ.get(ROUTE_ENV, '').strip().lower()
    if value == 'torchvision':
        return True
    if value not in _AUTO:
        raise PodiumError(f'{ROUTE_ENV}={value!r} is not understood: use "torchvision" (route '
                          'nms/RoIAlign to torchvision) or leave it unset (compiled where mmcv '
                          'has a kernel).')
    return False


def ops_route(device: torch.device | str | None = None) -> str:
    """'compiled' or 'torchvision': where nms / RoIAlign run now, for tensors on ``device``.

    Without a device: the route for CPU tensors (the process-wide setting).
    """
    if _forced() or _load_compiled() is None:
        return 'torchvision'
    kind = torch.device(device).type if device is not None else 'cpu'
    if kind == 'cpu' or (kind == 'cuda' and _state['cuda']):
        return 'compiled'
    return 'torchvision'


@contextlib.contextmanager
def torchvision_ops() -> Iterator[None]:
    """Run nms / RoIAlign on torchvision's kernels inside the block (``PODIUM_OPS``, restored)."""
    before = os.environ.get(ROUTE_ENV)
    os.environ[ROUTE_ENV] = 'torchvision'
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ROUTE_ENV, None)
        else:
            os.environ[ROUTE_ENV] = before


def route_summary() -> str:
    """One line for ``print_stack``: which kernels nms / RoIAlign use in this process."""
    if _load_compiled() is None:
        return (f'torchvision-routed (nms, RoIAlign); mmcv has no compiled ops '
                f'({_state["reason"]}), other mmcv ops need {INSTALL_HINT}')
    if _forced():
        return f'torchvision-routed ({ROUTE_ENV}=torchvision); mmcv compiled ops present'
    devices = 'CPU and CUDA' if _state['cuda'] else 'CPU; CUDA tensors torchvision-routed'
    return f'compiled ({devices})'


def _tv_nms(bboxes: Tensor, scores: Tensor, iou_threshold: float, offset: int) -> Tensor:
    """mmcv's nms on torchvision's kernel: same kept indices, in the same order."""
    import torchvision

    if bboxes.shape[0] == 0:
        return bboxes.new_zeros(0, dtype=torch.long)
    order = scores.sort(0, descending=True)[1]  # mmcv's call, so its order of tied scores
    boxes = bboxes[order]
    if boxes.dtype not in (torch.float32, torch.float64):
        boxes = boxes.float()
    if offset:  # widths and heights are x2 - x1 + 1: the same boxes one pixel larger
        boxes = torch.cat([boxes[:, :2], boxes[:, 2:] + offset], dim=1)
    # strictly decreasing stand-in scores keep that order whatever torchvision's sort does
    rank = torch.arange(boxes.shape[0], 0, -1, device=boxes.device, dtype=boxes.dtype)
    threshold = float(torch.tensor(float(iou_threshold), dtype=torch.float32))  # mmcv's float
    return order[torchvision.ops.nms(boxes, rank, threshold)]


def _tv_roi_align_forward(input: Tensor, rois: Tensor, output: Tensor, argmax_y: Tensor,
                          argmax_x: Tensor, *, aligned_height: int, aligned_width: int,
                          spatial_scale: float, sampling_ratio: int, pool_mode: int,
                          aligned: bool) -> None:
    """mmcv's ``roi_align_forward`` (fills ``output``; max mode also the argmax coordinates)."""
    import torchvision  # noqa: F401  (registers torch.ops.torchvision)

    if pool_mode == 0:
        roi_align_max_forward(input, rois, output, argmax_y, argmax_x, aligned_height,
                              aligned_width, spatial_scale, sampling_ratio, aligned)
        return
    work = input if input.dtype in _FULL else input.float()  # torchvision lacks bf16 on CPU
    pooled = torch.ops.torchvision.roi_align(
        work, rois.to(work.dtype), float(spatial_scale), int(aligned_height),
        int(aligned_width), int(sampling_ratio), bool(aligned))
    output.copy_(pooled)


def _tv_roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor,
                           argmax_x: Tensor, grad_input: Tensor, *, aligned_height: int,
                           aligned_width: int, spatial_scale: float, sampling_ratio: int,
                           pool_mode: int, aligned: bool) -> None:
    """mmcv's ``roi_align_backward`` (adds into ``grad_input``)."""
    import torchvision  # noqa: F401

    if pool_mode == 0:
        roi_align_max_backward(grad_output, rois, argmax_y, argmax_x, grad_input)
        return
    batch, channels, height, width = grad_input.shape
    work = grad_output if grad_output.dtype in _FULL else grad_output.float()
    grad = torch.ops.torchvision._roi_align_backward(
        work, rois.to(work.dtype), float(spatial_scale), int(aligned_height),
        int(aligned_width), batch, channels, height, width, int(sampling_ratio), bool(aligned))
    grad_input.add_(grad.to(grad_input.dtype))


_TORCHVISION: dict[str, Callable] = {
    'nms': _tv_nms,
    'roi_align_forward': _tv_roi_align_forward,
    'roi_align_backward': _tv_roi_align_backward,
}
# what mmcv's kernels accept; other dtypes (bf16 features under autocast, float64 boxes) go to
# torchvision instead of failing
_COMPILED_DTYPES = {
    'nms': (torch.float32, ),
    'roi_align_forward': (torch.float16, torch.float32, torch.float64),
    'roi_align_backward': (torch.float16, torch.float32, torch.float64),
}
_INFO = ('get_compiler_version', 'get_compiling_cuda_version')


def _routed(name: str, compiled: Callable | None) -> Callable:
    """``name`` running torchvision's kernel or mmcv's, decided at each call."""
    def run(first: Tensor, *args, **kwargs):
        if (compiled is None or first.dtype not in _COMPILED_DTYPES[name]
                or ops_route(first.device) == 'torchvision'):
            return _TORCHVISION[name](first, *args, **kwargs)
        return compiled(first, *args, **kwargs)

    run.__name__ = name
    return run


def _missing(name: str) -> Callable:
    """A stand-in for an op the install lacks: raises a clear error when called."""

    def missing(*args, **kwargs):
        raise CompiledOpMissing(
            f'mmcv op {name!r} needs mmcv\'s compiled extension, and this install has none '
            f'({_state.get("reason", "mmcv._ext missing")}); only nms / batched_nms and RoIAlign '
            f'run without it (on torchvision). Reinstall with: {INSTALL_HINT}')

    missing.__name__ = name
    return missing


class RoutedExt:
    """What mmcv's op modules get from ``load_ext``: routed ops, the compiled rest."""

    def __init__(self, ext=None) -> None:
        self._ext = ext

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)
        if name in _TORCHVISION:
            return _routed(name, getattr(self._ext, name, None))
        if self._ext is not None:
            return getattr(self._ext, name)
        if name in _INFO:
            return lambda: 'n/a (mmcv without compiled ops)'
        return _missing(name)

    def __repr__(self) -> str:
        return f'RoutedExt({self._ext!r})'


def _routed_load_ext(original: Callable) -> Callable:
    def load_ext(name: str, funcs: list[str]):
        if name != '_ext':
            return original(name, funcs)
        if _load_compiled() is None:
            return RoutedExt(None)
        return RoutedExt(original(name, funcs))  # mmcv's own check that the ops exist

    load_ext.podium_routed = True
    load_ext.__wrapped__ = original
    return load_ext


def install_ops_routing() -> None:
    """Route mmcv's nms / RoIAlign (see the module docstring); idempotent.

    Op modules imported before this call get their ``ext_module`` replaced too.
    """
    from mmcv.utils import ext_loader

    if not getattr(ext_loader.load_ext, 'podium_routed', False):
        ext_loader.load_ext = _routed_load_ext(ext_loader.load_ext)
    ext = _load_compiled()
    if ext is None:
        return
    for name, module in list(sys.modules.items()):
        if name.startswith('mmcv.ops.') and getattr(module, 'ext_module', None) is ext:
            module.ext_module = RoutedExt(ext)
