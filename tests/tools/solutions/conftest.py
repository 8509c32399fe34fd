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
