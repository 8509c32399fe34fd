"""POSTPROCESS_RULES: the rule types a manifest may name, built from ``dict(type=..., ...)``.

Rules stay data in the manifest; the registry turns each dict into a checked :class:`Rule`.
A new rule type is a small dataclass registered with ``@register_rule('name')`` (or
``POSTPROCESS_RULES.register_module(name=...)``).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mmengine.registry import Registry

from .base import PostprocessError, Rule


def build_rule(cfg: Any, registry: Registry, classes: Sequence[str] = (),
               det_classes: Sequence[str] | None = None) -> Rule:
    """The rule of one config dict, checked against the class lists (the registry's build)."""
    if not isinstance(cfg, Mapping) or 'type' not in cfg:
        raise PostprocessError(f'expected a dict with a type, got {cfg!r}')
    kwargs = dict(cfg)
    name = kwargs.pop('type')
    rule_cls = registry.module_dict.get(name) if isinstance(name, str) else None  # no imports
    if rule_cls is None:
        raise PostprocessError(f'unknown type {name!r} (known: {sorted(registry.module_dict)})')
    try:
        rule = rule_cls(**kwargs)
        rule.bind(classes, det_classes)
    except TypeError as e:  # a missing or unknown key, or a value of the wrong kind
        fields = [f.name for f in dataclasses.fields(rule_cls)]
        raise PostprocessError(f'{e}; its keys are {fields}') from e
    return rule


POSTPROCESS_RULES = Registry('postprocess rule', build_func=build_rule, scope='podium')


def register_rule(name: str) -> Callable[[type[Rule]], type[Rule]]:
    """Class decorator: register a rule type under ``name`` (its ``type`` in manifests)."""

    def wrap(cls: type[Rule]) -> type[Rule]:
        POSTPROCESS_RULES.register_module(name=name, module=cls)
        cls.type = name
        return cls

    return wrap


def build_rules(cfgs: Sequence[Mapping[str, Any]] | None, classes: Sequence[str],
                det_classes: Sequence[str] | None = None) -> list[Rule]:
    """Build rules from their configs and check every class name they use, before any work."""
    rules = []
    for i, cfg in enumerate(cfgs or []):
        name = cfg.get('type') if isinstance(cfg, Mapping) else None
        known = isinstance(name, str) and name in POSTPROCESS_RULES.module_dict
        where = f'rule #{i}' + (f' ({name})' if known else '')
        try:
            rules.append(POSTPROCESS_RULES.build(cfg, classes=classes, det_classes=det_classes))
        except PostprocessError as e:
            raise PostprocessError(f'{where}: {e}') from e
    return rules
