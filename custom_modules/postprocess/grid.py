"""Grids of a rule's numeric parameters, searched on the out-of-fold predictions.

A manifest's rule may carry the values to try for any of its numeric parameters::

    dict(type='detector_count', det_class='box', min_score=0.7, min_count=8, then='move_down',
         grid=dict(min_count=[4, 8, 12], min_score=[0.5, 0.7]))  # 6 candidates (the product)

``grid`` is not a parameter of the rule: building a rule checks it (:func:`check_grid`) and
leaves it out, so the rule runs with the manifest's values until the OOF search
(:mod:`.oof_audit`) has chosen. The choice is kept in ``rules_oof.json``, and
:func:`rules_for_test` puts it into the rules the test submission is made with.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .base import PostprocessError, Rule

GRID_KEY = 'grid'


def is_number(value: Any) -> bool:
    """An int or float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _current_value(cfg: Mapping[str, Any], field: dataclasses.Field) -> Any:
    if field.name in cfg:
        return cfg[field.name]
    return None if field.default is dataclasses.MISSING else field.default


def check_grid(cfg: Mapping[str, Any], rule_cls: type[Rule]) -> dict[str, list[float]] | None:
    """The rule config's ``grid`` checked against its rule type: ``{param: [values]}`` or None.

    Each key must be a parameter of the rule whose value (the manifest's, else its default) is a
    number, and each value list a non-empty list of distinct numbers.
    """
    grid = cfg.get(GRID_KEY)
    if grid is None:
        return None
    fields = {f.name: f for f in dataclasses.fields(rule_cls)}
    numeric = sorted(n for n, f in fields.items() if is_number(_current_value(cfg, f)))
    if not isinstance(grid, Mapping) or not grid:
        raise PostprocessError(f'grid must be a dict of parameter -> list of values, e.g. '
                               f'grid=dict({(numeric or ["min_prob"])[0]}=[...]), got {grid!r}')
    checked = {}
    for param, values in grid.items():
        if param not in fields:
            raise PostprocessError(f'grid: {param!r} is not a parameter of {rule_cls.type}; its '
                                   f'numeric parameters are {numeric}')
        if param not in numeric:
            raise PostprocessError(f'grid: {param!r} of {rule_cls.type} is not numeric '
                                   f'({_current_value(cfg, fields[param])!r}); its numeric '
                                   f'parameters are {numeric}')
        if (not isinstance(values, (list, tuple)) or not values
                or not all(is_number(v) for v in values)):
            raise PostprocessError(f'grid: {param} must be a non-empty list of numbers, '
                                   f'got {values!r}')
        if len(set(values)) != len(values):
            raise PostprocessError(f'grid: {param} lists a value twice: {list(values)}')
        checked[str(param)] = list(values)
    return checked


def candidates(grid: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    """Every combination of the grid's values, the first parameter varying slowest."""
    params = list(grid)
    return [dict(zip(params, combo)) for combo in itertools.product(*(grid[p] for p in params))]


def as_json(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples -> lists), to compare rule lists."""
    return json.loads(json.dumps(value, default=str))


def rules_for_test(cfgs: Sequence[Mapping[str, Any]] | None,
                   rules_oof: str | Path) -> tuple[list[dict[str, Any]], str]:
    """The manifest's rules with the values chosen on OOF, and a line saying where they came from.

    The choice in ``rules_oof`` (``rules_oof.json``) is used only when it was made for these
    very rules (its ``rules`` equal ``cfgs``); otherwise the manifest's values are, and the line
    says why.
    """
    cfgs = [dict(c) for c in cfgs or []]
    grids = [n for n, c in enumerate(cfgs) if c.get(GRID_KEY) is not None]
    rules_oof = Path(rules_oof)
    if not rules_oof.is_file():
        why = 'no OOF judgement yet (train with FOLDS=all)'
        return cfgs, f'rules: the manifest values are used, {why}: no {rules_oof}'
    try:
        data = json.loads(rules_oof.read_text(encoding='utf-8'))
        stored, rows = data['rules'], data['rows']
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise PostprocessError(f'{rules_oof}: not a rules_oof.json ({e}); remove it or train '
                               'again') from e
    if stored != as_json(cfgs):
        return cfgs, (f'rules: the manifest values are used: {rules_oof} was made for other '
                      'rules (train again to judge these)')
    chosen = {row['number']: row['chosen'] for row in rows if row.get('chosen')}
    for number, values in chosen.items():
        cfgs[number].update(values)
    if not grids:
        return cfgs, f'rules: no grid in the manifest; judged on OOF in {rules_oof}'
    picked = '; '.join(f'#{n} ' + ', '.join(f'{k}={v}' for k, v in chosen[n].items())
                       if n in chosen else f'#{n} manifest values (not judged on OOF)'
                       for n in grids)
    return cfgs, f'rules: values chosen on OOF ({rules_oof}): {picked}'
