"""custom_modules.apis.infer_video on generated clips: every frame in order, the config's test
pipeline, labels checked against the decoded frames, and no partial output on failure."""
from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from custom_modules.apis import FrameCsv, FramePredictor, InferenceError, annotate_file, infer_video
from custom_modules.utils.errors import RunFailed
from custom_modules.utils.validation import DataError
from custom_modules.utils.video import read_video
from tests.predictor_fixtures import CRASH_CONFIG, make_clip, make_labels


@pytest.fixture(scope='module')
def predictor(crash_checkpoint) -> FramePredictor:
    return FramePredictor(CRASH_CONFIG, crash_checkpoint, device='cpu')


def test_matches_bare_forward_with_the_config_test_pipeline(tmp_path, predictor):
    clip = make_clip(tmp_path / 'clip.mp4', 9, seed=2)
    rows = []
    result = infer_video(predictor, clip, batch_size=4, progress=False, frame_base=1,
                         write_rows=lambda first, probs: rows.append((first, probs)))
    assert [first for first, _ in rows] == [1, 5, 9]  # batches of 4, in order, 1-based
    # the same probabilities as the config's own test pipeline + model on decoded frames
    resized = [cv2.resize(f, (64, 64), interpolation=cv2.INTER_LINEAR) for f in read_video(clip)]
    batch = torch.from_numpy(np.stack(resized)).permute(0, 3, 1, 2).contiguous()
    np.testing.assert_allclose(result.probs, predictor.predict(batch), atol=1e-5)
    np.testing.assert_allclose(np.concatenate([p for _, p in rows]), result.probs)


def test_csv_annotated_video_and_metrics(tmp_path, predictor):
    clip = make_clip(tmp_path / 'clip.mp4', 10)
    labels = make_labels(tmp_path / 'labels.csv', 10, base=1)
    with FrameCsv(tmp_path / 'out' / 'clip.csv', 'frame_id,pred') as out:
        result = infer_video(predictor, clip, batch_size=3, write_rows=out.rows(),
                             output_video=tmp_path / 'out' / 'clip.mp4', labels_csv=labels,
                             progress=False)
    df = pd.read_csv(tmp_path / 'out' / 'clip.csv')
    assert df['frame_id'].tolist() == list(range(10))
    np.testing.assert_allclose(df['pred'], result.probs, atol=1e-6)
    assert result.labels.tolist() == [0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    assert set(result.metrics) >= {'auc', 'acc', 'log_loss'}
    assert read_video(tmp_path / 'out' / 'clip.mp4').shape == read_video(clip).shape
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['clip.csv', 'clip.mp4']


def test_label_rows_must_match_the_decoded_frames(tmp_path, predictor):
    clip = make_clip(tmp_path / 'clip.mp4', 12)
    short = make_labels(tmp_path / 'short.csv', 10)
    with pytest.raises(DataError, match=r'short\.csv: 10 label rows but .* 12 frames'):
        infer_video(predictor, clip, labels_csv=short, progress=False,
                    output_video=tmp_path / 'out.mp4')
    assert not (tmp_path / 'out.mp4').exists()
    assert not list(tmp_path.glob('.*tmp*'))
    bad = tmp_path / 'bad.csv'
    bad.write_text('frame,type\n0,before crush\n1,crashed\n' + ''.join(
        f'{i},after crush\n' for i in range(2, 12)))
    with pytest.raises(DataError, match=r"bad\.csv:3: unknown type 'crashed'"):
        infer_video(predictor, clip, labels_csv=bad, progress=False)


def test_unreadable_video_is_a_failed_run_and_a_failed_csv_leaves_nothing(tmp_path, predictor):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video at all')
    with pytest.raises(InferenceError, match='bad.mp4') as err:
        with FrameCsv(tmp_path / 'bad.csv', 'frame_id,pred') as out:
            infer_video(predictor, bad, write_rows=out.rows(), progress=False)
    assert isinstance(err.value, RunFailed) and err.value.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['bad.mp4']


def test_annotate_file_needs_one_probability_per_frame(tmp_path):
    clip = make_clip(tmp_path / 'clip.mp4', 6)
    with pytest.raises(InferenceError, match='more frames than predictions'):
        annotate_file(clip, [0.5] * 5, tmp_path / 'a.mp4', None)
    with pytest.raises(InferenceError, match='6 frames but 7 predictions'):
        annotate_file(clip, [0.5] * 7, tmp_path / 'a.mp4', None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['clip.mp4']
    annotate_file(clip, np.linspace(0, 1, 6), tmp_path / 'a.mp4',
                  make_labels(tmp_path / 'l.csv', 6), frame_base=1)
    assert len(read_video(tmp_path / 'a.mp4')) == 6
