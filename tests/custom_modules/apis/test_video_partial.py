"""infer_video on a real partial video (its container declares more frames than decode): one
prediction per decoded frame, the missing count said and kept, labels for the declared frames
cut to the decoded ones."""
from __future__ import annotations

import pandas as pd
import pytest

from custom_modules.apis import (
    FrameCsv,
    FramePredictor,
    InferenceError,
    annotate_file,
    infer_video,
)
from custom_modules.utils.validation import DataError
from custom_modules.utils.video import read_video
from tests.partial_media import make_corrupt_video, make_partial_video
from tests.predictor_fixtures import CRASH_CONFIG, make_labels


@pytest.fixture(scope='module')
def predictor(crash_checkpoint) -> FramePredictor:
    return FramePredictor(CRASH_CONFIG, crash_checkpoint, device='cpu')


def test_every_decoded_frame_is_predicted_and_the_missing_counted(tmp_path, predictor, capsys):
    video = make_partial_video(tmp_path / 'part.mp4', declared=20, keep=9, size=(80, 48))
    with FrameCsv(tmp_path / 'part.csv', 'frame_id,pred') as out:
        result = infer_video(predictor, video, batch_size=4, write_rows=out.rows(),
                             output_video=tmp_path / 'part_annotated.mp4', progress=False)
    assert (len(result.probs), result.declared, result.missing) == (9, 20, 11)
    assert pd.read_csv(tmp_path / 'part.csv')['frame_id'].tolist() == list(range(9))
    assert len(read_video(tmp_path / 'part_annotated.mp4')) == 9
    assert (f'warning: {video}: partial video, decoded 9 of 20 declared frames; predicted 9, '
            '11 missing') in capsys.readouterr().out


def test_labels_for_the_declared_frames_are_cut_to_the_decoded(tmp_path, predictor, capsys):
    video = make_partial_video(tmp_path / 'part.mp4', declared=20, keep=9, size=(80, 48))
    labels = make_labels(tmp_path / 'labels.csv', 20, crash=(3, 5))
    result = infer_video(predictor, video, labels_csv=labels, progress=False)
    assert result.labels.tolist() == [0, 0, 0, 1, 1, 0, 0, 0, 0]
    assert result.metrics['frames'] == 9
    assert f'{labels}: {video} is partial (decoded 9 of 20 declared frames): dropped the 11 ' \
        'label rows' in capsys.readouterr().out
    too_many = make_labels(tmp_path / 'long.csv', 21)  # more than even the declared frames
    with pytest.raises(DataError, match=r'long\.csv:11: 21 label rows but .* decodes to 9'):
        infer_video(predictor, video, labels_csv=too_many, progress=False)


def test_decode_error_mid_video_ends_it_like_extraction(tmp_path, predictor, capsys):
    video = make_corrupt_video(tmp_path / 'c.mp4', declared=20, bad=8, size=(80, 48))
    result = infer_video(predictor, video, batch_size=4, progress=False)
    assert (len(result.probs), result.missing) == (8, 12)
    assert 'decoded 8 of 20 declared frames; predicted 8, 12 missing' in capsys.readouterr().out
    annotate_file(video, result.probs, tmp_path / 'c_annotated.mp4', None)
    assert len(read_video(tmp_path / 'c_annotated.mp4')) == 8
    first = make_corrupt_video(tmp_path / 'first.mp4', declared=20, bad=0, size=(80, 48))
    with pytest.raises(InferenceError, match='first.mp4: decode error'):
        infer_video(predictor, first, progress=False)
