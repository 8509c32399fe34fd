"""bench/infer_video.py: a smoke run on a tiny generated clip through its command line."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from custom_modules.utils.video import write_video
from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.slow  # a real benchmark run, if a small one
BENCH = str(REPO_ROOT / 'bench/infer_video.py')
TINY = str(REPO_ROOT / 'configs/crash/tinyconvnet_1xb16-cos-4e_crash-demo-frames-64px.py')


def test_smoke_tiny_clip(tmp_path):
    clip = tmp_path / 'clip.mp4'
    frames = np.random.default_rng(0).integers(0, 255, (20, 48, 64, 3), dtype=np.uint8)
    write_video(clip, frames, 10)
    out = run_cli(['python', BENCH, '--config', TINY, '--video', str(clip), '--max-frames', '16',
                   '--batch-size', '4', '--rounds', '2', '--device', 'cpu', '--threads', '1',
                   '--annotate', '--work-dir', str(tmp_path)], timeout=180)
    assert out.returncode == 0, out.stdout[-3000:]
    assert 'clip_first16.mp4: 16 frames -> 64x64 model inputs' in out.stdout
    ratio = re.search(r'ratio infer_video/bare: ([\d.]+); target >= 0\.8: (OK|UNDER)', out.stdout)
    assert ratio, out.stdout[-3000:]
    result = json.loads((tmp_path / 'infer_video.json').read_text())
    assert result['frames'] == 16 and result['torch_threads'] == 1 and result['annotate']
    assert len(result['seconds']['infer_video']) == len(result['seconds']['bare']) == 2
    assert abs(result['ratio'] - float(ratio.group(1))) < 1e-3
    assert result['fps']['bare'] > 0 and result['fps']['infer_video'] > 0
