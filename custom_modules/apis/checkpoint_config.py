"""The config a Runner checkpoint keeps in ``meta['cfg']``, read as data, never run as code.

mmengine's Runner saves ``cfg.pretty_text`` with every checkpoint: ``key = value`` lines whose
values are literals, lists, tuples and ``dict(...)`` calls. ``Config.fromstring`` would execute
that text (and import its ``custom_imports``), so a checkpoint loaded weights-only could still run
code through its metadata. :func:`config_from_checkpoint` accepts only that literal subset; any
other construct is refused with the line, and ``--config`` is the way out.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from .predictor import ConfigError


class NoCheckpointConfig(ConfigError):
    """The checkpoint has no usable config metadata: the user must pass ``--config``."""


def _literal(node: ast.AST) -> Any:
    """The value of a literal expression: constants, +/- numbers, lists, tuples, dicts and
    ``dict(key=value, ...)``. Raises ``ValueError`` naming the first other construct."""
    if isinstance(node, ast.Constant):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values)}
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args
            and all(kw.arg is not None for kw in node.keywords)):
        return {kw.arg: _literal(kw.value) for kw in node.keywords}
    raise ValueError(f'line {getattr(node, "lineno", "?")}: {ast.unparse(node)[:60]!r} is not '
                     'a literal')


def parse_config_text(text: str) -> dict[str, Any]:
    """``key = literal`` lines (a ``pretty_text``) -> dict, without executing anything.

    Raises:
        ValueError: A syntax error or any statement other than ``name = literal``.
    """
    try:
        module = ast.parse(text)
    except SyntaxError as err:
        raise ValueError(f'line {err.lineno}: {err.msg}') from None
    values: dict[str, Any] = {}
    for stmt in module.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            raise ValueError(f'line {stmt.lineno}: only `name = value` lines are read, got '
                             f'{ast.unparse(stmt).splitlines()[0][:60]!r}')
        values[stmt.targets[0].id] = _literal(stmt.value)
    return values


def config_from_checkpoint(ckpt: dict, checkpoint: str | Path,
                           cfg_options: dict | None = None):
    """The config kept in a loaded checkpoint's ``meta['cfg']``, ``cfg_options`` merged in.

    Args:
        ckpt: The checkpoint's content, loaded through the trust policy
            (:func:`~custom_modules.apis.predictor.read_checkpoint`).
        checkpoint: Its file, for the messages.
        cfg_options: ``--cfg-options`` overrides.

    Raises:
        NoCheckpointConfig: No config text in the metadata, or text that is not plain data.
    """
    from mmengine.config import Config

    meta = ckpt.get('meta')
    text = meta.get('cfg') if isinstance(meta, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise NoCheckpointConfig(f'{checkpoint} keeps no config (meta.cfg, written by an '
                                 'mmengine Runner): pass the model config with --config CONFIG')
    try:
        cfg = Config(parse_config_text(text), cfg_text=text, filename=f'{checkpoint}:meta.cfg')
    except (ValueError, KeyError, TypeError) as err:
        raise NoCheckpointConfig(f'{checkpoint}: its config (meta.cfg) is not plain data '
                                 f'({err}): pass the model config with --config CONFIG') from None
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg
