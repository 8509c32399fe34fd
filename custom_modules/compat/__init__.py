"""The one place that makes the published OpenMMLab stack usable on torch 2.14 / numpy 2.

Imported first by ``custom_modules/__init__.py``, before anything touches mmaction:
the missing mmaction ``drn`` package, checkpoint loading with a trust policy, and
torchrun-launched CPU processes (gloo) on machines without CUDA, and numpy 2 breakage
on the paths podium uses.
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
from .numpy2 import patch_mmaction_color_jitter

patch_missing_drn()
install_checkpoint_policy()
install_cpu_distributed()
patch_mmaction_color_jitter()  # after the drn fix: imports mmaction

__all__ = [
    'UntrustedCheckpointError', 'cache_root', 'install_checkpoint_policy',
    'install_cpu_distributed', 'is_trusted', 'load_checkpoint_file', 'patch_missing_drn',
    'patch_mmaction_color_jitter',
    'record_trusted', 'trust_file'
]
