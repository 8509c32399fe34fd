"""Box galleries (visualization.best_worst) from a dump, ranked by IoU; box tables by id."""
from __future__ import annotations

import pickle

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from custom_modules.predictions import PredictionError, load_box_predictions, load_truth, with_iou
from custom_modules.visualization import plot_best_worst

IOUS = {'a': 1.0, 'b': 0.5, 'c': 0.0, 'd': 0.25}


def make_case(tmp_path):
    """Four images, their truth table and a BBoxRegHead-like dump with known IoUs."""
    images = tmp_path / 'images'
    images.mkdir()
    rng = np.random.default_rng(0)
    truth, preds = [], []
    for name, (gt, pred) in {'a': ([0, 0, 20, 20], [0, 0, 20, 20]),
                             'b': ([0, 0, 20, 20], [0, 0, 20, 10]),
                             'c': ([0, 0, 10, 10], [20, 20, 30, 30]),
                             'd': ([10, 10, 30, 30], [10, 10, 20, 20])}.items():
        cv2.imwrite(str(images / f'{name}.jpg'), rng.integers(0, 255, (40, 48, 3), np.uint8))
        truth.append([name, f'{name}.jpg', 'disc', 0, *gt])
        preds.append(dict(sample_id=name, pred_bbox=torch.tensor(pred, dtype=torch.float32),
                          pred_score=torch.tensor([0.9, 0.1]), pred_label=torch.tensor([0])))
    ann = tmp_path / 'annotations.csv'
    pd.DataFrame(truth, columns=['image_id', 'file', 'cls', 'label', 'xmin', 'ymin', 'xmax',
                                 'ymax']).to_csv(ann, index=False)
    dump = tmp_path / 'preds.pkl'
    dump.write_bytes(pickle.dumps(preds))
    return tmp_path, images, ann, dump


@pytest.fixture
def case(tmp_path):
    return make_case(tmp_path)


def test_ranked_by_iou_and_pngs_written(case):
    tmp, images, ann, dump = case
    preds = load_box_predictions(dump)
    assert preds['label'].tolist() == [0] * 4
    np.testing.assert_allclose(preds['score'], 0.9, rtol=1e-6)
    table = with_iou(preds, load_truth(ann)).set_index('image_id')
    for name, iou in IOUS.items():
        assert table.loc[name, 'iou'] == pytest.approx(iou)
    out = plot_best_worst(dump, images, tmp / 'out', truth=ann, k=2, classes=['disc', 'sq'])
    assert out == {'best': tmp / 'out' / 'top2_best.png', 'worst': tmp / 'out' / 'top2_worst.png'}
    for png in out.values():
        img = cv2.imread(str(png))
        assert img is not None and img.shape[1] > img.shape[0]  # two panels side by side


def test_missing_image_is_a_clear_error(case):
    tmp, images, ann, dump = case
    (images / 'a.jpg').unlink()
    with pytest.raises(PredictionError, match="a.jpg: cannot read the image"):
        plot_best_worst(dump, images, tmp / 'out', truth=ann, k=1)
    assert not (tmp / 'out' / 'top1_best.png').exists()
