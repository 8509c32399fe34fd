"""Shared fixtures: the repository root, free ports and a runner for the real CLIs."""
from __future__ import annotations

import copy
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TOY_CONFIG = REPO_ROOT / 'configs/toy/tinyconvnet_1xb16-step-4e_synthetic-patterns-32px.py'


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope='session')
def toy_config() -> Path:
    return TOY_CONFIG


@pytest.fixture(autouse=True)
def _private_podium_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own trust ledger, so no test trusts another's checkpoints."""
    monkeypatch.setenv('PODIUM_CACHE', str(tmp_path_factory.mktemp('podium_cache')))


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """A test that builds in one library's scope must not change the next test's scope."""
    from mmengine.registry import DefaultScope

    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def cli_env(env: dict | None = None) -> dict[str, str]:
    """The environment the CLIs run in: this interpreter, unbuffered, one thread, plus ``env``."""
    return {**os.environ, 'PYTHON': sys.executable, 'PYTHONUNBUFFERED': '1',
            'OMP_NUM_THREADS': '1', **(env or {})}


def run_cli(args: list[str], cwd: Path = REPO_ROOT, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a command (``python`` means this interpreter) and capture stdout+stderr as text."""
    if args and args[0] == 'python':
        args = [sys.executable, *args[1:]]
    return subprocess.run(args, cwd=cwd, env=cli_env(env), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def stage_status(output: str, stage: str) -> str:
    """``ran``, ``skipped`` or ``failed``: the row of ``stage`` in a runner's summary table."""
    match = re.search(rf'^{re.escape(stage)}\s+(ran|skipped|failed)\b', output, re.MULTILINE)
    assert match, f'no {stage!r} row in the summary:\n{output[-3000:]}'
    return match.group(1)


class CreatesFileWhenUnpickled:
    """A malicious checkpoint payload: unpickling it opens (creates) ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))
