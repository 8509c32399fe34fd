"""sample_submission ids, their matching to predictions, and the checked submission CSV."""
from __future__ import annotations

import pytest

from custom_modules.postprocess import (
    PostprocessError,
    match_ids,
    read_sample_submission,
    write_submission,
)

from .cases import CLASSES, write_ss


def test_match_ids_order_follows_sample_submission(tmp_path):
    sub = read_sample_submission(write_ss(tmp_path / 'ss.csv', ['c.mp4', 'a.mp4', 'b.mp4']))
    assert match_ids(sub, ['a', 'b', 'c']).tolist() == [2, 0, 1]
    assert match_ids(sub, ['b.mp4', 'c', 'a']).tolist() == [1, 2, 0]  # exact or stem


@pytest.mark.parametrize('pred_ids, match', [
    (['a', 'b'], r"1 ids without a prediction \['c.mp4'\]"),
    (['a', 'b', 'c', 'd'], r"1 predictions for no id \['d'\]"),
    (['a', 'b', 'c', 'a.mp4'], r'1 ids predicted more than once'),
])
def test_match_ids_refusals(tmp_path, pred_ids, match):
    sub = read_sample_submission(write_ss(tmp_path / 'ss.csv', ['c.mp4', 'a.mp4', 'b.mp4']))
    with pytest.raises(PostprocessError, match=match):
        match_ids(sub, pred_ids, 'ens.npz')


def test_sample_submission_refusals(tmp_path):
    with pytest.raises(PostprocessError, match=r'ss.csv: duplicate/ambiguous ids: rows 2 and 4'):
        read_sample_submission(write_ss(tmp_path / 'ss.csv', ['a.mp4', 'b.mp4', 'a.mp4']))
    with pytest.raises(PostprocessError, match=r'ambiguous id stems: rows 2 and 3'):
        read_sample_submission(write_ss(tmp_path / 'ss.csv', ['a.mp4', 'a.avi']))
    bad = tmp_path / 'bad.csv'
    bad.write_text('video_filename\na.mp4\n')
    with pytest.raises(PostprocessError, match='two columns'):
        read_sample_submission(bad)


def test_write_submission_refuses_unknown_class(tmp_path):
    sub = read_sample_submission(write_ss(tmp_path / 'ss.csv', ['a.mp4', 'b.mp4']))
    out = tmp_path / 'submission.csv'
    with pytest.raises(PostprocessError, match=r"unknown classes for \[\"b.mp4='skate'\"\]"):
        write_submission(out, sub, ['normal', 'skate'], CLASSES)
    assert not out.exists()
