"""The demo dataset, framed and listed once per session, for the action-model tests."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope='session')
def demo_manifest(tmp_path_factory):
    """A demo manifest whose DATA_ROOT holds generated, extracted and listed data."""
    from tools.solutions.action import ActionPaths, prepare_data
    from tools.solutions.manifest import load_manifest
    from tools.solutions.stages import Pipeline
    from tools.solutions.steps import generate_demo_data

    root: Path = tmp_path_factory.mktemp('demo_data')
    manifest = load_manifest('demo', env={'DATA_ROOT': str(root / 'demo'),
                                          'WORK_DIR': str(root / 'work')})
    paths = ActionPaths(manifest)
    generate_demo_data(manifest, Pipeline())
    prepare_data(manifest, Pipeline(), paths)
    return manifest, paths


@pytest.fixture(scope='session')
def sports_demo_run(tmp_path_factory):
    """`train.sh 1 sports_demo` then `inference.sh 1 sports_demo`, once per session (slow tests:
    the flow's own checks, and inference from copies of its checkpoint).

    Returns ``(root, env, train, infer)``: data in ``root/data``, outputs in ``root/work``, the
    two completed processes.
    """
    from tests.conftest import REPO_ROOT, run_cli

    root = tmp_path_factory.mktemp('sports_demo_run')
    # its own trust ledger, which the tests that reuse its checkpoints share
    env = {'DATA_ROOT': str(root / 'data'), 'WORK_DIR': str(root / 'work'),
           'PODIUM_CACHE': str(root / 'podium_cache')}
    train = run_cli(['bash', str(REPO_ROOT / 'train.sh'), '1', 'sports_demo'], env=env)
    assert train.returncode == 0, train.stdout[-5000:]
    infer = run_cli(['bash', str(REPO_ROOT / 'inference.sh'), '1', 'sports_demo'], env=env)
    assert infer.returncode == 0, infer.stdout[-5000:]
    return root, env, train, infer
