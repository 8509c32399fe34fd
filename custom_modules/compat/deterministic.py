"""``--deterministic`` that trains on CUDA, as the OpenMMLab 1.x tools' flag did.

mmengine 0.10.7's ``set_random_seed(deterministic=True)`` calls
``torch.use_deterministic_algorithms(True)``, which raises a ``RuntimeError`` for every CUDA op
without a deterministic kernel (``AdaptiveAvgPool2d`` backward, in every ResNet / TSM /
EfficientNet head) and for cuBLAS unless ``CUBLAS_WORKSPACE_CONFIG`` is set: a deterministic
GPU training stops at its first backward. mmcv 1.x, which the origin trained with, only fixed
cuDNN. The patched seeding keeps every deterministic kernel torch has, warns (instead of
failing) where it has none, and fixes cuBLAS's workspace so its matmuls repeat too.
"""
from __future__ import annotations

import os
from functools import wraps

# cuBLAS reads it when its first handle is made; the runner seeds before it builds the model.
CUBLAS_WORKSPACE = ':4096:8'


def _deterministic_seeding(set_random_seed):
    @wraps(set_random_seed)
    def seeded(*args, **kwargs):
        import torch

        deterministic = kwargs.get('deterministic', args[1] if len(args) > 1 else False)
        if deterministic:
            os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', CUBLAS_WORKSPACE)
        seed = set_random_seed(*args, **kwargs)
        if deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        return seed

    seeded.__podium_patched__ = True
    return seeded


def patch_deterministic_seeding() -> None:
    """Wrap the ``set_random_seed`` mmengine's Runner calls (idempotent)."""
    import mmengine.runner.runner as mm_runner

    if not getattr(mm_runner.set_random_seed, '__podium_patched__', False):
        mm_runner.set_random_seed = _deterministic_seeding(mm_runner.set_random_seed)
