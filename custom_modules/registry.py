"""Register podium's pieces into the OpenMMLab libraries' own registries.

A config's ``default_scope`` (``mmpretrain``, ``mmaction`` or ``mmdet``) decides which registry
the Runner builds from, so a generic piece (a backbone usable by all three) is registered in
each library's registry, and a library-specific piece (a classification head) in its own.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from mmengine.registry import Registry

ALL_SCOPES = ('mmpretrain', 'mmaction', 'mmdet')


def library_registry(scope: str, name: str = 'MODELS') -> Registry:
    """The registry ``name`` (MODELS, DATASETS, HOOKS, METRICS, TRANSFORMS...) of ``scope``."""
    module = importlib.import_module(f'{scope}.registry')
    return getattr(module, name)


def register_in(scopes: Iterable[str] = ALL_SCOPES, registry: str = 'MODELS',
                name: str | None = None) -> Callable[[type], type]:
    """Class decorator: register the class in ``registry`` of every scope in ``scopes``."""

    def decorate(cls: type) -> type:
        for scope in scopes:
            library_registry(scope, registry).register_module(name=name, module=cls)
        return cls

    return decorate
