"""submission_accuracy: rows matched by id, never by position."""
from __future__ import annotations

import pytest

from custom_modules.evaluation.submission_accuracy import submission_accuracy
from custom_modules.utils import DataError


def test_rows_are_matched_by_id(tmp_path):
    sub = tmp_path / 'submission.csv'
    sub.write_text('video_filename,class\na.mp4,walk\nb.mp4,run\nc.mp4,run\n')
    labels = tmp_path / 'labels.csv'
    labels.write_text('video_filename,class\nc.mp4,walk\nb.mp4,run\na.mp4,walk\n')  # other order
    assert submission_accuracy(sub, labels) == pytest.approx(2 / 3)


def test_a_submission_row_without_a_label_is_an_error(tmp_path):
    sub = tmp_path / 'submission.csv'
    sub.write_text('image_id,label\nx,cat\ny,dog\n')
    labels = tmp_path / 'labels.csv'
    labels.write_text('image_id,label\nx,cat\n')
    with pytest.raises(DataError, match='labels.csv: labels for 1 of 2 submission rows'):
        submission_accuracy(sub, labels)
