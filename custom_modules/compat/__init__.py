"""The one place that makes the published OpenMMLab stack usable on torch 2.14 / numpy 2.

Imported first by ``custom_modules/__init__.py``, before anything touches mmaction:
the missing mmaction ``drn`` package, checkpoint loading with a trust policy, and
torchrun-launched CPU processes (gloo) on machines without CUDA.
"""
from .checkpoint import (
    UntrustedCheckpointError,
    cache_root,
    install_checkpoint_policy,
    is_trusted,
    load_checkpoint_file,
    record_trusted,
    trust_file,
)
from .cpu_distributed import install_cpu_distributed
from .mmaction_drn import patch_missing_drn

patch_missing_drn()
install_checkpoint_policy()
install_cpu_distributed()

__all__ = [
    'UntrustedCheckpointError', 'cache_root', 'install_checkpoint_policy',
    'install_cpu_distributed', 'is_trusted', 'load_checkpoint_file', 'patch_missing_drn',
    'record_trusted', 'trust_file'
]
