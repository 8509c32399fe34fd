"""The rule list of a solution manifest (``.py`` with ``_base_``, or ``.json``), read as data."""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import PostprocessError

logger = logging.getLogger(__name__)

DEFAULT_RULES_KEY = 'postprocess_rules'


def load_rules(manifest: str | Path, key: str = DEFAULT_RULES_KEY) -> list[dict[str, Any]]:
    """The rule list stored under ``key`` (dots walk into dicts) in a ``.py`` or ``.json`` file.

    ``.py`` manifests are read with mmengine's Config (``_base_`` works) when it is installed.
    A manifest without the key has no rules.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise PostprocessError(f'{manifest}: no such manifest')
    try:
        if manifest.suffix == '.json':
            data: Any = json.loads(manifest.read_text(encoding='utf-8'))
        else:
            try:
                from mmengine.config import Config
                data = Config.fromfile(str(manifest)).to_dict()
            except ImportError:
                import runpy
                data = runpy.run_path(str(manifest))
    except Exception as e:  # a broken manifest: report which file, whatever the parser raised
        raise PostprocessError(f'{manifest}: cannot read manifest: {e}') from e
    for part in key.split('.'):
        if not isinstance(data, Mapping) or part not in data:
            logger.info('%s: no %r; no rules applied', manifest, key)
            return []
        data = data[part]
    if not isinstance(data, (list, tuple)):
        raise PostprocessError(f'{manifest}: {key} must be a list of rule dicts')
    return [dict(r) if isinstance(r, Mapping) else r for r in data]
