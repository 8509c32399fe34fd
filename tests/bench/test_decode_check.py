"""bench/decode_check.py: a small smoke run through its command line."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.slow  # a real benchmark run, if a small one


def test_smoke_small_folder(tmp_path):
    for i in range(80):
        img = np.random.default_rng(i).integers(0, 256, (12, 12, 3), dtype=np.uint8)
        (tmp_path / 'data' / 'train').mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(tmp_path / 'data' / 'train' / f'{i}.png'), img)
    out = tmp_path / 'decode_check.json'
    done = run_cli(['python', str(REPO_ROOT / 'bench/decode_check.py'), '--data',
                    str(tmp_path / 'data'), '--images', '80', '--workers', '2', '--out',
                    str(out)], timeout=180)
    assert done.returncode == 0, done.stdout[-3000:]
    assert 'full decode, rerun on the cache' in done.stdout
    assert 'faster than the first run' in done.stdout
    result = json.loads(out.read_text())
    assert result['images'] == 80 and result['cached_s'] < result['first_s']
