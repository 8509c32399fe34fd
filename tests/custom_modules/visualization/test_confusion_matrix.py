"""custom_modules.visualization.confusion_matrix: matrix, accuracy, macro F1 vs scikit-learn."""
from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample  # no mmaction.models: needs no drn stub
from mmpretrain.structures import DataSample
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from custom_modules.predictions import PredictionError
from custom_modules.utils import PodiumError
from custom_modules.visualization import confusion_matrix as cm

CLASSES = ['walk', 'run', 'jump', 'fall_down', 'wave']
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def dumped(kind: str, true: int, scores: np.ndarray, sample_id: str) -> dict:
    """One sample as DumpResults stores it: the library's DataSample, ``to_dict()``."""
    sample = ActionDataSample() if kind == 'mmaction' else DataSample()
    sample.set_gt_label(true)
    sample.set_pred_score(torch.as_tensor(scores, dtype=torch.float32))
    sample.set_pred_label(int(scores.argmax()))
    sample.set_metainfo({'sample_id': sample_id})
    return sample.to_dict()


def make_dump(kind: str, n: int = 60, seed: int = 0) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """Seeded samples over 4 of the 5 classes ('wave' never occurs), mostly right."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 4, size=n)
    pred = np.where(rng.random(n) < 0.6, true, rng.integers(0, 4, size=n))
    samples = []
    for i, (t, p) in enumerate(zip(true, pred)):
        scores = rng.dirichlet(np.ones(len(CLASSES)))
        scores[p] = scores.max() + 0.5
        samples.append(dumped(kind, int(t), scores / scores.sum(), f'clip_{i:03d}'))
    return samples, true, pred


@pytest.fixture
def classes_file(tmp_path) -> Path:
    path = tmp_path / 'classes.txt'
    path.write_text('\n'.join(CLASSES) + '\n')
    return path


@pytest.mark.parametrize('kind', ['mmaction', 'mmpretrain'])
def test_matches_scikit_learn(kind, tmp_path, classes_file):
    samples, true, pred = make_dump(kind)
    assert samples[0]['gt_label'].shape == (1, )  # both libraries: a long tensor [1]
    dump = tmp_path / 'preds.pkl'
    dump.write_bytes(pickle.dumps(samples))
    out = tmp_path / 'plots' / 'confusion.png'

    result = cm.plot_confusion_matrix(dump, classes_file, out)

    assert result['accuracy'] == pytest.approx(accuracy_score(true, pred))
    assert result['macro_f1'] == pytest.approx(f1_score(true, pred, average='macro'))
    assert out.read_bytes().startswith(PNG_MAGIC)
    rows = list(csv.reader(out.with_suffix('.csv').open()))
    assert rows[0] == ['true\\predicted', *CLASSES]
    assert [r[0] for r in rows[1:]] == CLASSES
    counts = np.array([[int(v) for v in r[1:]] for r in rows[1:]])
    np.testing.assert_array_equal(counts, confusion_matrix(true, pred, labels=range(5)))


def test_counts_normalised_rows_and_scores_by_hand():
    true = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 1, 1, 2, 2])
    counts = cm.confusion(true, pred, 4)
    np.testing.assert_array_equal(counts, [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0],
                                           [0, 0, 0, 0]])
    np.testing.assert_allclose(cm.row_normalised(counts)[0], [2 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(cm.row_normalised(counts)[3], 0)  # a class without samples
    result = cm.scores(counts)
    assert result['accuracy'] == pytest.approx(4 / 6)
    # F1 per present class: 0.8, 0.5, 2/3 (class 3 is absent from truth and predictions)
    assert result['macro_f1'] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_loaded_samples_names_and_pred_label_only(tmp_path):
    samples = [{'gt_label': torch.tensor([k]), 'pred_label': torch.tensor([k])}
               for k in (0, 1, 1)]
    result = cm.plot_confusion_matrix(samples, ['a', 'b'], tmp_path / 'cm.png')
    assert result == {'accuracy': 1.0, 'macro_f1': 1.0}


def test_test_list_without_ground_truth_is_an_error(tmp_path, classes_file):
    samples, _, _ = make_dump('mmaction', n=6)
    for sample in samples[2:]:
        sample['gt_label'] = torch.tensor([-1])  # how a test list's placeholder label dumps
    dump = tmp_path / 'test_preds.pkl'
    dump.write_bytes(pickle.dumps(samples))
    out = tmp_path / 'cm.png'
    with pytest.raises(PredictionError, match=r'test_preds\.pkl: 4 of 6 samples have no '
                       r"ground truth .*'clip_002'"):
        cm.plot_confusion_matrix(dump, classes_file, out)
    assert not out.exists() and not out.with_suffix('.csv').exists()


@pytest.mark.parametrize('change, message', [
    (lambda s: s.pop('gt_label'), r'sample 1 \(clip_001\): no gt_label'),
    (lambda s: s.update(pred_score=torch.ones(3) / 3), 'pred_score has 3 classes, the class '
     'list 5'),
    (lambda s: s.update(gt_label=torch.tensor([7])), 'gt_label 7 is outside the 5 classes'),
    (lambda s: s.update(gt_label=torch.tensor([0, 1])), 'only single-label'),
])
def test_bad_samples_name_the_sample(change, message, classes_file):
    samples, _, _ = make_dump('mmpretrain', n=3)
    change(samples[1])
    with pytest.raises(PredictionError, match=message):
        cm.plot_confusion_matrix(samples, classes_file, '/nonexistent/never_written.png')


def test_bad_files(tmp_path, classes_file):
    with pytest.raises(PredictionError, match='missing.pkl: cannot read'):
        cm.plot_confusion_matrix(tmp_path / 'missing.pkl', classes_file, tmp_path / 'x.png')
    empty = tmp_path / 'empty.pkl'
    empty.write_bytes(pickle.dumps([]))
    with pytest.raises(PredictionError, match='non-empty list'):
        cm.plot_confusion_matrix(empty, classes_file, tmp_path / 'x.png')
    with pytest.raises(PodiumError, match='nope.txt: class list not found'):
        cm.plot_confusion_matrix(make_dump('mmaction', 2)[0], tmp_path / 'nope.txt',
                                 tmp_path / 'x.png')
