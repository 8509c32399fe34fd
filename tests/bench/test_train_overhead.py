"""bench/train_overhead.py: a smoke run with the smallest settings through its command line."""
from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.slow  # a real benchmark run, if a small one
BENCH = str(REPO_ROOT / 'bench/train_overhead.py')


def test_smoke_smallest_settings(tmp_path):
    out = run_cli(['python', BENCH, '--depth', '18', '--frames', '2', '--size', '32',
                   '--warmup', '1', '--rounds', '2', '--device', 'cpu', '--threads', '1',
                   '--work-dir', str(tmp_path)], timeout=180)
    assert out.returncode == 0, out.stdout[-3000:]
    assert 'TSM-R18 train step, batch 2 x 2 frames at 32 px' in out.stdout
    ratio = re.search(r'ratio runner/bare: ([\d.]+) \(median\), ([\d.]+) \(mean\); '
                      r'target <= 1\.10: (OK|OVER)', out.stdout)
    assert ratio, out.stdout[-3000:]

    result = json.loads((tmp_path / 'train_overhead.json').read_text())
    assert {'settings', 'device', 'torch', 'torch_threads', 'runner', 'bare', 'ratio_median',
            'ratio_mean', 'target_ratio', 'within_target', 'max_loss_diff', 'times_ms',
            'runner_fetch_median_ms', 'measured'} <= set(result)
    assert set(result['runner']) == {'median_ms', 'mean_ms', 'min_ms', 'max_ms'}
    assert len(result['times_ms']['runner']) == len(result['times_ms']['bare']) == 2
    assert result['settings']['depth'] == 18 and result['torch_threads'] == 1
    assert abs(result['ratio_median'] - float(ratio.group(1))) < 1e-3
    # same weights, batch and dropout masks: both columns did the same computation
    assert result['max_loss_diff'] < 1e-6
