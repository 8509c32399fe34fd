"""custom_modules.apis.frame_labels: crash labels in frame order, counted against the frames."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from custom_modules.apis import check_label_count, load_frame_labels
from custom_modules.utils.validation import DataError
from tests.predictor_fixtures import make_labels


def test_labels_in_frame_order_whatever_the_row_order(tmp_path):
    path = tmp_path / 'v.csv'
    path.write_text('frame_id,label\n2,after crush\n0,before crush\n1,crush moment\n')
    assert load_frame_labels(path).tolist() == [0, 1, 0]
    assert load_frame_labels(make_labels(tmp_path / 'w.csv', 7, base=1)).tolist() == \
        [0, 0, 0, 1, 1, 0, 0]


def test_every_bad_row_is_named(tmp_path):
    path = tmp_path / 'v.csv'
    path.write_text('frame,type\n0,before crush\nx,crush moment\n2,boom\n')
    with pytest.raises(DataError) as err:
        load_frame_labels(path)
    assert 'v.csv:3: frame is not a frame index' in str(err.value)
    assert "v.csv:4: unknown type 'boom'" in str(err.value)
    with pytest.raises(DataError, match='file not found'):
        load_frame_labels(tmp_path / 'missing.csv')


def test_count_against_the_decoded_frames():
    labels, path, video = np.zeros(5, np.int64), Path('v.csv'), Path('v.mp4')
    check_label_count(path, labels, 5, video)
    with pytest.raises(DataError, match=r'v\.csv:6: 5 label rows but v\.mp4 decodes to 4 '
                       r'frames: rows from line 6 on have no frame'):
        check_label_count(path, labels, 4, video)
    with pytest.raises(DataError, match=r'v\.csv: 5 label rows .* frames 5\.\.6 \(0-based\)'):
        check_label_count(path, labels, 7, video)
