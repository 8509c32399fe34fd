"""What podium runs on: versions of the stack, compiled ops, devices."""
from __future__ import annotations

import importlib
import platform


def collect_env() -> dict[str, str]:
    """Versions and capabilities that matter when reporting a problem."""
    import torch

    info = {'python': platform.python_version(), 'torch': torch.__version__,
            'cuda available': str(torch.cuda.is_available()),
            'cuda devices': str(torch.cuda.device_count())}
    for name in ('torchvision', 'mmengine', 'mmcv', 'mmpretrain', 'mmdet', 'mmaction', 'cv2',
                 'numpy', 'decord', 'av'):
        try:
            info[name] = importlib.import_module(name).__version__
        except Exception as err:  # report, do not fail: this is a diagnostic
            info[name] = f'unavailable ({type(err).__name__}: {err})'
    try:
        from mmcv.ops import RoIAlign, nms  # noqa: F401

        from .compat.mmcv_ops import route_summary
        info['mmcv ops'] = route_summary()
    except Exception as err:
        info['mmcv ops'] = f'MISSING ({err})'
    return info


def print_stack() -> None:
    """Print :func:`collect_env` as an aligned table."""
    info = collect_env()
    width = max(map(len, info))
    for key, value in info.items():
        print(f'{key:<{width}}  {value}')
