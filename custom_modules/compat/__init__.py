"""The one place that makes the published OpenMMLab stack usable on torch 2.14 / numpy 2.

Imported first by ``custom_modules/__init__.py``, before anything touches mmaction.
"""
from .checkpoint import (UntrustedCheckpointError, cache_root, install_checkpoint_policy,
                         is_trusted, load_checkpoint_file, record_trusted, trust_file)
from .mmaction_drn import patch_missing_drn

patch_missing_drn()
install_checkpoint_policy()

__all__ = [
    'UntrustedCheckpointError', 'cache_root', 'install_checkpoint_policy', 'is_trusted',
    'load_checkpoint_file', 'patch_missing_drn', 'record_trusted', 'trust_file'
]
