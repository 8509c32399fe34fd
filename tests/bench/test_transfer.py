"""bench/transfer.py: the scoring of each arm against the hidden test labels, by id."""
from __future__ import annotations

import pytest

from tests.bench.conftest import load_bench
from tests.conftest import REPO_ROOT


@pytest.fixture(scope='module')
def bench():
    return load_bench('transfer')


def test_scores_match_by_id_with_baselines(tmp_path, bench):
    (tmp_path / 'classes.txt').write_text('bag\ncoat\ndress\n')
    (tmp_path / 'train.csv').write_text('image_id,label\n' + ''.join(
        f't{i}.png,{c}\n' for i, c in enumerate(['bag'] * 6 + ['coat'] * 3 + ['dress'])))
    (tmp_path / 'test.csv').write_text('image_id\na.png\nb.png\nc.png\nd.png\n')
    (tmp_path / 'test_labels.csv').write_text(
        'image_id,label\na.png,bag\nb.png,coat\nc.png,dress\nd.png,bag\n')
    sub = tmp_path / 'submission.csv'
    # another order than test_labels.csv: matched by id, never by position
    sub.write_text('image_id,label\nd.png,bag\nc.png,coat\nb.png,coat\na.png,bag\n')
    got = bench.scores(sub, tmp_path)
    assert got['accuracy'] == pytest.approx(0.75)
    # per class F1: bag 1.0, coat 2/3, dress 0 -> 5/9
    assert got['macro_f1'] == pytest.approx(5 / 9)
    # weighted random with training shares .6/.3/.1 on truth 2/1/1: (2*.6 + .3 + .1) / 4
    assert got['baseline_accuracy'] == pytest.approx(0.4)
    assert bench.majority_accuracy(tmp_path) == pytest.approx(0.5)
    assert bench.class_names(tmp_path) == ['bag', 'coat', 'dress']


def test_arms_are_the_lite_manifests(bench):
    for _, manifest, _ in bench.ARMS:
        assert (REPO_ROOT / 'configs/solutions' / f'{manifest}.py').is_file()
