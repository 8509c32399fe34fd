"""custom_modules.predictions: id alignment, weights, refusals, DumpResults reading, .npz I/O."""
from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from custom_modules.predictions import (
    PredictionError,
    average_by_id,
    ensemble,
    load_predictions,
    run_file_weights,
    save_predictions,
)
from custom_modules.predictions.samples import sample_id
from custom_modules.utils import PodiumError

PROBS = {  # sample id -> probabilities over 3 classes, model A and model B
    'vid_a': ([0.7, 0.2, 0.1], [0.1, 0.8, 0.1]),
    'vid_b': ([0.1, 0.1, 0.8], [0.2, 0.2, 0.6]),
    'vid_c': ([0.3, 0.4, 0.3], [0.5, 0.25, 0.25]),
}


def dump(path: Path, samples: list[dict]) -> Path:
    with open(path, 'wb') as f:
        pickle.dump(samples, f)
    return path


def action_dump(path: Path, order: list[str], model: int, key: str = 'frame_dir',
                as_tensor: bool = True) -> Path:
    """A DumpResults-like pickle listing the samples of PROBS in ``order``."""
    samples = []
    for sid in order:
        score = np.array(PROBS[sid][model], dtype=np.float32)
        value = f'data/action/rawframes/{sid}' if key == 'frame_dir' else sid
        samples.append({key: value, 'pred_score': torch.from_numpy(score) if as_tensor else score,
                        'pred_label': torch.tensor([int(score.argmax())]), 'total_frames': 30})
    return dump(path, samples)


def test_alignment_by_id_not_position(tmp_path):
    a = action_dump(tmp_path / 'a.pkl', ['vid_a', 'vid_b', 'vid_c'], 0)
    b = action_dump(tmp_path / 'b.pkl', ['vid_c', 'vid_a', 'vid_b'], 1, as_tensor=False)
    ids, probs = ensemble([load_predictions(a), load_predictions(b)], names=[str(a), str(b)])
    assert ids == ['vid_a', 'vid_b', 'vid_c']  # the first file's order
    for sid, row in zip(ids, probs):
        expected = 0.5 * np.array(PROBS[sid][0]) + 0.5 * np.array(PROBS[sid][1])
        np.testing.assert_allclose(row, expected, atol=1e-6)
    assert probs.dtype == np.float32


def test_weights_are_normalised():
    ids = ['x', 'y']
    p1 = np.array([[1.0, 0.0], [0.0, 1.0]])
    p2 = np.array([[0.0, 1.0], [0.5, 0.5]])
    _, probs = ensemble([(ids, p1), (ids[::-1], p2[::-1])], weights=[3, 1])
    np.testing.assert_allclose(probs, [[0.75, 0.25], [0.125, 0.875]], atol=1e-6)
    _, same = ensemble([(ids, p1), (ids, p2)], weights=[0.75, 0.25])
    np.testing.assert_allclose(same, probs, atol=1e-6)
    _, only_first = ensemble([(ids, p1), (ids, p2)], weights=[1, 0])
    np.testing.assert_allclose(only_first, p1)


@pytest.mark.parametrize('weights', [[1.0], [1.0, -1.0], [0.0, 0.0], [float('nan'), 1.0]])
def test_bad_weights_refused(weights):
    ids, p = ['x'], np.array([[0.5, 0.5]])
    with pytest.raises(PredictionError, match='weight'):
        ensemble([(ids, p), (ids, p)], weights=weights)


def test_different_sample_sets_refused_naming_files_and_ids():
    p2 = np.full((2, 2), 0.5)
    with pytest.raises(PredictionError) as err:
        ensemble([(['a', 'b'], p2), (['a', 'zz'], p2)], names=['m1.pkl', 'm2.pkl'])
    msg = str(err.value)
    assert 'm1.pkl' in msg and 'm2.pkl' in msg and "'b'" in msg and "'zz'" in msg


def test_different_class_counts_refused():
    with pytest.raises(PredictionError, match=r'class counts differ.*m1.pkl.*2.*m2.pkl.*3'):
        ensemble([(['a'], np.array([[0.5, 0.5]])), (['a'], np.array([[0.2, 0.3, 0.5]]))],
                 names=['m1.pkl', 'm2.pkl'])


def test_duplicate_ids_refused(tmp_path):
    bad = action_dump(tmp_path / 'dup.pkl', ['vid_a', 'vid_b', 'vid_a'], 0)
    with pytest.raises(PredictionError, match=r"dup.pkl: duplicate sample ids \['vid_a'\]"):
        load_predictions(bad)
    with pytest.raises(PredictionError, match='duplicate'):
        ensemble([(['a', 'a'], np.full((2, 2), 0.5))])


def test_id_keys_priority_and_stems():
    sample = {'sample_id': 'abc', 'frame_dir': 'raw/other', 'img_path': 'x/img.jpg'}
    assert sample_id(sample) == 'abc'
    assert sample_id({'frame_dir': 'data/rawframes/a.b.c/'}) == 'a.b.c'  # dots kept
    assert sample_id({'img_path': 'data/test/im_7.jpg'}) == 'im_7'
    assert sample_id(sample, ['img_path']) == 'img'
    assert sample_id({'other': 1}) is None


def test_missing_id_or_score_names_file_and_sample(tmp_path):
    no_id = dump(tmp_path / 'noid.pkl', [{'pred_score': np.ones(2) / 2, 'x': 1}])
    with pytest.raises(PredictionError, match=r'noid.pkl: sample #0 has none of the id keys'):
        load_predictions(no_id)
    no_score = dump(tmp_path / 'noscore.pkl', [{'sample_id': 'v1'}])
    with pytest.raises(PredictionError, match=r"noscore.pkl: sample #0 \('v1'\) has no pred"):
        load_predictions(no_score)


def test_logits_get_softmax_and_a_log_line(tmp_path, caplog):
    path = dump(tmp_path / 'logits.pkl', [{'sample_id': 's', 'pred_score': torch.tensor(
        [2.0, 0.0, -1.0])}])
    with caplog.at_level(logging.INFO):
        _, probs = load_predictions(path)
    e = np.exp([2.0, 0.0, -1.0])
    np.testing.assert_allclose(probs[0], e / e.sum(), atol=1e-6)
    assert 'applying softmax' in caplog.text and 'logits.pkl' in caplog.text


def test_npz_roundtrip_and_as_input(tmp_path):
    path = tmp_path / 'p.npz'
    save_predictions(path, ['a', 'b'], np.array([[0.9, 0.1], [0.2, 0.8]]), classes=['x', 'y'])
    ids, probs = load_predictions(path)
    assert ids == ['a', 'b'] and probs.shape == (2, 2)
    with pytest.raises(PredictionError, match='2 classes for 3 columns'):
        save_predictions(path, ['a'], np.array([[0.2, 0.3, 0.5]]), classes=['x', 'y'])


def test_prediction_error_is_a_podium_error():
    assert issubclass(PredictionError, PodiumError) and issubclass(PredictionError, ValueError)


def test_average_by_id_keys_shapes_and_output_order():
    """Any hashable keys ((video, frame) pairs), [N, 4] values, an explicit output order."""
    a_ids, b_ids = [('v', 0), ('v', 1), ('w', 0)], [('w', 0), ('v', 0), ('v', 1)]
    a = np.arange(12, dtype=float).reshape(3, 4)
    b = a[[2, 0, 1]] + 4.0  # the same rows as a, shifted by 4, listed in b's order
    ids, mean = average_by_id([(a_ids, a), (b_ids, b)], weights=[3, 1], ids=b_ids)
    assert ids == b_ids
    np.testing.assert_allclose(mean, a[[2, 0, 1]] + 1.0)
    ids, frames = average_by_id([(a_ids, a[:, 0]), (b_ids, b[:, 0])])
    assert ids == a_ids and frames.shape == (3, ) and frames.dtype == np.float64
    with pytest.raises(PredictionError, match=r"full vs short: 1 extra ids \[\('w', 0\)\]"):
        average_by_id([(a_ids[:2], a[:2]), (b_ids, b)], names=['short', 'full'])
    with pytest.raises(PredictionError, match=r"short vs full: missing 1 ids \[\('w', 0\)\]"):
        average_by_id([(b_ids, b), (a_ids[:2], a[:2])], names=['full', 'short'])
    with pytest.raises(PredictionError, match='value shapes differ'):
        average_by_id([(a_ids, a), (b_ids, b[:, :2])])
    with pytest.raises(PredictionError, match='the expected ids'):
        average_by_id([(a_ids, a)], ids=[('v', 0)])


def test_run_file_weights_share_a_run_weight_over_its_files():
    runs = [('tsm', 0.6), ('tsm', 0.6), ('tsm', 0.6), ('big', 0.4), ('big', 0.4)]
    assert run_file_weights(runs) == [0.6 / 3] * 3 + [0.4 / 2] * 2
    assert run_file_weights([]) == []
