"""Work around mmaction2 1.2.0's missing ``mmaction/models/localizers/drn`` package.

The published wheel and sdist both lack ``drn/__init__.py``, so ``import mmaction.models``
raises ``ModuleNotFoundError``. Before the first mmaction import we put two placeholder
modules into ``sys.modules``; the rest of mmaction (TSM, TSN, heads, datasets) then imports.
DRN itself stays unusable: building it raises a clear error.
"""
from __future__ import annotations

import importlib.util
import os.path as osp
import sys
import types

DRN_MODULES = ('mmaction.models.localizers.drn', 'mmaction.models.localizers.drn.drn')


class DRN:  # pragma: no cover - only reached by a config that asks for DRN
    """Placeholder for mmaction's DRN localizer, absent from the published package."""

    def __init__(self, *args, **kwargs):
        raise ImportError('mmaction2 1.2.0 is published without models/localizers/drn, so the '
                          'DRN localizer is unavailable in podium.')


def drn_is_missing() -> bool:
    """True when mmaction is installed but its ``localizers/drn`` package is not."""
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return False
    root = list(spec.submodule_search_locations)[0]
    return not osp.isfile(osp.join(root, 'models', 'localizers', 'drn', '__init__.py'))


def patch_missing_drn() -> bool:
    """Install the placeholder modules if needed; returns whether it did."""
    if not drn_is_missing() or all(name in sys.modules for name in DRN_MODULES):
        return False
    package = types.ModuleType(DRN_MODULES[0])
    package.__path__ = []  # a package, so `from .drn.drn import DRN` resolves
    module = types.ModuleType(DRN_MODULES[1])
    module.DRN = DRN
    package.drn = module
    package.DRN = DRN
    sys.modules.setdefault(DRN_MODULES[0], package)
    sys.modules.setdefault(DRN_MODULES[1], module)
    return True
