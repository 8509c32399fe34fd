"""The one place that makes the published OpenMMLab stack usable on torch 2.14 / numpy 2.

Imported first by ``custom_modules/__init__.py``, before anything touches mmaction:
the missing mmaction ``drn`` package, checkpoint loading with a trust policy, and
torchrun-launched CPU processes (gloo) on machines without CUDA, numpy 2 breakage
on the paths podium uses, ``--deterministic`` seeding that does not stop CUDA trainings, and
no setuptools deprecation notices; mmcv's nms / RoIAlign on torchvision's kernels where
mmcv has none (mmcv-lite, a CPU-only build on CUDA tensors).
"""
from .checkpoint import (
    TRUST_HINT_ENV,
    UntrustedCheckpointError,
    cache_root,
    check_loadable,
    install_checkpoint_policy,
    is_trusted,
    load_checkpoint_file,
    record_trusted,
    trust_file,
)
from .cpu_distributed import install_cpu_distributed
from .deterministic import patch_deterministic_seeding
from .mmaction_drn import patch_missing_drn
from .mmcv_ops import has_compiled_ops, install_ops_routing, ops_route, torchvision_ops
from .numpy2 import patch_mmaction_color_jitter
from .quiet import silence_stack_notices

silence_stack_notices()  # before any config is read: mmengine's base lookup fires them
install_ops_routing()  # before anything imports mmcv.ops: nms/RoIAlign on torchvision if need be
patch_missing_drn()
install_checkpoint_policy()
install_cpu_distributed()
patch_deterministic_seeding()
patch_mmaction_color_jitter()  # after the drn fix: imports mmaction

__all__ = [
    'TRUST_HINT_ENV', 'UntrustedCheckpointError', 'cache_root', 'check_loadable',
    'install_checkpoint_policy',
    'has_compiled_ops', 'install_cpu_distributed', 'install_ops_routing', 'is_trusted', 'ops_route',
    'load_checkpoint_file', 'patch_deterministic_seeding',
    'patch_missing_drn',
    'patch_mmaction_color_jitter',
    'record_trusted', 'silence_stack_notices', 'torchvision_ops', 'trust_file'
]
