"""bench/localize_latency.py: a smoke run on the tiny localize config through its CLI."""
from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.slow  # a real benchmark run, if a small one
BENCH = str(REPO_ROOT / 'bench/localize_latency.py')
TINY = str(REPO_ROOT / 'configs/localize'
           / 'tinyconvnet-bboxreg_1xb16-cos-40e_localize-demo-letterbox-64px.py')


def test_smoke_tiny_config(tmp_path):
    out = run_cli(['python', BENCH, '--config', TINY, '--images', '2', '--rounds', '2',
                   '--warmup', '1', '--device', 'cpu', '--threads', '1',
                   '--work-dir', str(tmp_path)], timeout=180)
    assert out.returncode == 0, out.stdout[-3000:]
    assert 'TinyConvNet + BBoxRegHead, batch 1 at 64 px, 2 images x 2 rounds' in out.stdout
    ratio = re.search(r'ratio podium/bare: ([\d.]+) \(median\)', out.stdout)
    assert ratio, out.stdout[-3000:]
    result = json.loads((tmp_path / 'localize_latency.json').read_text())
    assert result['input_size'] == 64 and result['batch'] == 1 and result['torch_threads'] == 1
    assert len(result['times_ms']['podium']) == len(result['times_ms']['bare']) == 4
    assert abs(result['ratio_median'] - float(ratio.group(1))) < 1e-3
    # the podium path does strictly more work than the bare forward
    assert result['podium']['min_ms'] > 0 and result['bare']['min_ms'] > 0
