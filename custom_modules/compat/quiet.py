"""Notices of the published stack that are not the user's to act on.

mmengine 0.10.7 imports and ``importlib.reload``\\ s ``pkg_resources`` each time it resolves a
``mmdet::``/``mmaction::``/``mmpretrain::`` config base (``mmengine.utils.is_installed``), and
setuptools >= 80 warns on every such import that ``pkg_resources is deprecated as an API``: three
or more identical warnings per podium process. podium pins setuptools < 82 (which still ships
``pkg_resources``), so the notice is silenced here, by its exact message and category only.
"""
from __future__ import annotations

import warnings

PKG_RESOURCES_NOTICE = r'pkg_resources is deprecated as an API'


def silence_stack_notices() -> None:
    """Ignore setuptools' ``pkg_resources`` deprecation ``UserWarning`` in this process."""
    warnings.filterwarnings('ignore', message=PKG_RESOURCES_NOTICE, category=UserWarning)
