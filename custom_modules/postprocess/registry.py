"""POSTPROCESS_RULES: the rule types a manifest may name, built from ``dict(type=..., ...)``.

Rules stay data in the manifest; the registry turns each dict into a checked :class:`Rule`.
A new rule type is a small dataclass registered with ``@register_rule('name')`` (or
``POSTPROCESS_RULES.register_module(name=...)``).

Besides its own keys, any rule may carry ``group='name'`` (:data:`COMMON_KEYS`): consecutive rules
of one group all read the prediction as it was before the group, and where several change it
the last one in list order wins (see :func:`~custom_modules.postprocess.apply.apply_rules`).
It may also carry ``grid=dict(param=[values])``: values of its numeric parameters to search on
the out-of-fold predictions (:mod:`~custom_modules.postprocess.grid`); checked here, not passed on.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mmengine.registry import Registry

from .base import PostprocessError, Rule
from .grid import GRID_KEY, check_grid

COMMON_KEYS = ('group', GRID_KEY)
"""Config keys any rule may carry, handled here rather than by each rule type."""


def _rule_class(cfg: Any, registry: Registry) -> type[Rule]:
    if not isinstance(cfg, Mapping) or 'type' not in cfg:
        raise PostprocessError(f'expected a dict with a type, got {cfg!r}')
    name = cfg['type']
    rule_cls = registry.module_dict.get(name) if isinstance(name, str) else None  # no imports
    if rule_cls is None:
        raise PostprocessError(f'unknown type {name!r} (known: {sorted(registry.module_dict)})')
    return rule_cls


def make_rule(cfg: Any, registry: Registry) -> Rule:
    """The rule of one config dict, its keys checked but not yet bound to the class lists."""
    rule_cls = _rule_class(cfg, registry)
    check_grid(cfg, rule_cls)
    kwargs = {k: v for k, v in cfg.items() if k != 'type' and k not in COMMON_KEYS}
    group = cfg.get('group')
    if group is not None and (not isinstance(group, str) or not group.strip()):
        raise PostprocessError(f'group must be a non-empty name, got {group!r}')
    try:
        rule = rule_cls(**kwargs)
    except TypeError as e:  # a missing or unknown key
        fields = [f.name for f in dataclasses.fields(rule_cls)] + list(COMMON_KEYS)
        raise PostprocessError(f'{e}; its keys are {fields}') from e
    if group is not None:
        rule.group = group
    return rule


def build_rule(cfg: Any, registry: Registry, classes: Sequence[str] = (),
               det_classes: Sequence[str] | None = None) -> Rule:
    """The rule of one config dict, checked against the class lists (the registry's build)."""
    rule = make_rule(cfg, registry)
    try:
        rule.bind(classes, det_classes)
    except TypeError as e:  # a value of the wrong kind
        fields = [f.name for f in dataclasses.fields(rule)] + list(COMMON_KEYS)
        raise PostprocessError(f'{e}; its keys are {fields}') from e
    return rule


POSTPROCESS_RULES = Registry('postprocess rule', build_func=build_rule, scope='podium')


def register_rule(name: str) -> Callable[[type[Rule]], type[Rule]]:
    """Class decorator: register a rule type under ``name`` (its ``type`` in manifests)."""

    def wrap(cls: type[Rule]) -> type[Rule]:
        clash = {f.name for f in dataclasses.fields(cls)} & set(COMMON_KEYS)
        if clash:
            raise KeyError(f'rule {name!r}: {sorted(clash)} is a key every rule has (COMMON_KEYS)')
        POSTPROCESS_RULES.register_module(name=name, module=cls)
        cls.type = name
        return cls

    return wrap


def _where(cfg: Any, number: int) -> str:
    """``rule #3 (topk_substitute)``: how errors name a rule."""
    name = cfg.get('type') if isinstance(cfg, Mapping) else None
    known = isinstance(name, str) and name in POSTPROCESS_RULES.module_dict
    return f'rule #{number}' + (f' ({name})' if known else '')


def check_groups(cfgs: Sequence[Any], numbers: Sequence[int] | None = None) -> None:
    """A ``group`` must name consecutive rules: one group split by other rules is refused."""
    numbers = list(range(len(cfgs))) if numbers is None else list(numbers)
    closed: set[str] = set()
    previous = None
    for number, cfg in zip(numbers, cfgs):
        group = cfg.get('group') if isinstance(cfg, Mapping) else None
        group = group if isinstance(group, str) else None  # a bad value: make_rule says so
        if group != previous and previous is not None:
            closed.add(previous)
        if group is not None and group in closed:
            raise PostprocessError(f'{_where(cfg, number)}: group {group!r} must name consecutive '
                                   f'rules, but other rules come between its rules')
        previous = group


def build_rules(cfgs: Sequence[Mapping[str, Any]] | None, classes: Sequence[str],
                det_classes: Sequence[str] | None = None,
                numbers: Sequence[int] | None = None) -> list[Rule]:
    """Build rules from their configs and check every class name they use, before any work.

    ``numbers``: each rule's number in its manifest list (default 0, 1, ...), used by errors,
    logs and the changes CSV when some of the manifest's rules were set aside (:func:`split_rules`).
    """
    cfgs = list(cfgs or [])
    numbers = list(range(len(cfgs))) if numbers is None else list(numbers)
    if len(numbers) != len(cfgs):
        raise PostprocessError(f'{len(numbers)} rule numbers for {len(cfgs)} rules')
    check_groups(cfgs, numbers)
    rules = []
    for number, cfg in zip(numbers, cfgs):
        try:
            rule = POSTPROCESS_RULES.build(cfg, classes=classes, det_classes=det_classes)
        except PostprocessError as e:
            raise PostprocessError(f'{_where(cfg, number)}: {e}') from e
        rule.number = number
        rules.append(rule)
    return rules


def split_rules(rule_cfgs: Sequence[Mapping[str, Any]] | None, classes: Sequence[str],
                det_classes: Sequence[str] | None, has_detections: bool,
                reason: str = 'no detections') -> tuple[list[dict], list[tuple[int, str, str]]]:
    """The rules that can run, and those that are off because there are no detections.

    Every rule is checked (type, keys, groups); the active ones also against the class lists, so
    a bad rule fails here, before any work. ``reason`` says why there are no detections.

    Returns:
        the active rule configs in manifest order (pass ``off`` to ``postprocess`` so they keep
        their manifest numbers), and for each rule that is off: (its number in ``rule_cfgs``,
        its description, ``reason``).
    """
    cfgs = list(rule_cfgs or [])
    check_groups(cfgs)
    active, numbers, off = [], [], []
    for number, cfg in enumerate(cfgs):
        try:
            rule = make_rule(cfg, POSTPROCESS_RULES)
        except PostprocessError as e:
            raise PostprocessError(f'{_where(cfg, number)}: {e}') from e
        if rule.needs_detections and not has_detections:
            off.append((number, rule.describe(), reason))
        else:
            active.append(dict(cfg))
            numbers.append(number)
    build_rules(active, classes, det_classes, numbers)
    return active, off
