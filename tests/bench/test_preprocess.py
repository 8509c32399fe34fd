"""bench/preprocess.py: a small smoke run through its command line."""
from __future__ import annotations

import pytest

from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.slow  # a real benchmark run, if a small one


def test_smoke_small_inputs(tmp_path):
    out = run_cli(['python', str(REPO_ROOT / 'bench/preprocess.py'), '--videos', '50',
                   '--boxes', '200', '--folds', '3', '--work-dir', str(tmp_path)], timeout=180)
    assert out.returncode == 0, out.stdout[-3000:]
    assert '50 videos, 200 boxes, 3 folds' in out.stdout
    assert '| load_frame_records (50 records) |' in out.stdout
    assert list(tmp_path.iterdir()) == []  # the scratch folder is removed
