"""tools/infer_video.py on a partial video: a row per decoded frame and the missing count said."""
from __future__ import annotations

import pandas as pd

from custom_modules.utils.cli import run_cli
from tests.partial_media import make_partial_video
from tests.predictor_fixtures import CRASH_CONFIG
from tools import infer_video as iv


def test_partial_video_rows_and_missing_count(tmp_path, crash_checkpoint, capsys):
    video = make_partial_video(tmp_path / 'part.mp4', declared=24, keep=10, size=(80, 48))
    code = run_cli(iv.main, [str(CRASH_CONFIG), str(crash_checkpoint), '--input-video',
                             str(video), '--out', str(tmp_path / 'part.csv'), '--device', 'cpu',
                             '--no-progress'], prog='infer_video')
    out = capsys.readouterr()
    assert code == 0, out.err[-3000:]
    df = pd.read_csv(tmp_path / 'part.csv')
    assert df['frame_id'].tolist() == list(range(10)) and df['pred'].between(0, 1).all()
    assert 'decoded 10 of 24 declared frames; predicted 10, 14 missing' in out.out
