"""Shared by the bench tests: load a script of bench/ as a module (bench/ is not a package)."""
from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.conftest import REPO_ROOT


def load_bench(name: str) -> ModuleType:
    """``bench/<name>.py`` imported under the module name ``bench_<name>``."""
    path = REPO_ROOT / 'bench' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'bench_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
