"""podium's registered OpenMMLab pieces.

``custom_imports = dict(imports=['custom_modules'], allow_failed_imports=False)`` in a config
imports this package, which registers every dataset, model, metric, hook and transform below
into the mmpretrain / mmaction / mmdet registries.
"""
from . import compat  # noqa: I001  (first: patches the stack before anything imports mmaction)
from . import datasets, engine, evaluation, models, transforms  # noqa: F401  (registration)
from .env import collect_env, print_stack

__all__ = ['collect_env', 'compat', 'print_stack']
