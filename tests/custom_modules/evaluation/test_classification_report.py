"""ClassificationReport against scikit-learn, its baseline by hand, and across two ranks."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

import custom_modules  # noqa: F401
from custom_modules.evaluation.classification_report import (
    class_counts_from_list,
    classification_report,
    weighted_random_baseline,
)
from tests.conftest import free_port

CLASSES = ('cat', 'dog', 'owl', 'yak')


def samples(y_true, scores) -> list[dict]:
    return [DataSample().set_gt_label(int(t)).set_pred_score(torch.as_tensor(s)).to_dict()
            for t, s in zip(y_true, scores)]


def fixture(n: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, n)
    scores = rng.random((n, 4)).astype(np.float32)
    scores[np.arange(n), y_true] += rng.random(n) * 0.8  # better than chance, not perfect
    return y_true, scores


def build(**kwargs):
    metric = METRICS.build(dict(type='ClassificationReport', **kwargs))
    metric.dataset_meta = {'classes': CLASSES}
    return metric


def test_matches_sklearn(tmp_path):
    y_true, scores = fixture()
    y_pred = scores.argmax(1)
    out = tmp_path / 'report.json'
    metric = build(train_counts=[10, 20, 30, 40], out_file=str(out))
    metric.process(None, samples(y_true, scores))
    result = metric.evaluate(len(y_true))
    assert result['cls/accuracy'] == pytest.approx(accuracy_score(y_true, y_pred))
    assert result['cls/macro_f1'] == pytest.approx(f1_score(y_true, y_pred, average='macro'))
    report = json.loads(out.read_text())
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=range(4),
                                                 zero_division=0)
    np.testing.assert_allclose(report['precision'], p)
    np.testing.assert_allclose(report['recall'], r)
    np.testing.assert_allclose(report['f1'], f)
    assert report['support'] == s.tolist()
    assert report['classes'] == list(CLASSES)
    assert report['train_shares'] == pytest.approx([0.1, 0.2, 0.3, 0.4])


def test_macro_f1_over_present_classes_like_sklearn():
    # class 3 never occurs, class 2 only as a prediction
    y_true, y_pred = [0, 0, 1, 1, 1], [0, 1, 1, 1, 2]
    report = classification_report(y_true, y_pred, 4)
    assert report.macro_f1 == pytest.approx(f1_score(y_true, y_pred, average='macro'))
    assert report.f1[3] == 0 and report.support == [2, 3, 0, 0]


def test_baseline_by_hand():
    # training shares p = (1/2, 1/4, 1/4); evaluated shares q = (1/4, 1/4, 1/2)
    acc, f1 = weighted_random_baseline([20, 10, 10], [1, 1, 2])
    assert acc == pytest.approx(1 / 8 + 1 / 16 + 1 / 8)  # sum q_c p_c = 0.3125
    # per class 2pq/(p+q): 1/3, 1/4, 1/3
    assert f1 == pytest.approx((1 / 3 + 1 / 4 + 1 / 3) / 3)


def test_baseline_accuracy_is_what_random_draws_score():
    rng = np.random.default_rng(0)
    train = np.array([50, 30, 15, 5])
    y_true = rng.choice(4, 400, p=[0.1, 0.2, 0.3, 0.4])
    expected, _ = weighted_random_baseline(train, np.bincount(y_true, minlength=4))
    draws = rng.choice(4, (2000, y_true.size), p=train / train.sum())
    assert (draws == y_true).mean() == pytest.approx(expected, abs=0.005)


def test_baseline_from_the_training_list(tmp_path):
    ann = tmp_path / 'train.txt'
    ann.write_text('a b.jpg 0\nc.jpg 0\nd.jpg 1\n\ne.jpg 3\n')  # a path may hold a space
    assert class_counts_from_list(ann, 4).tolist() == [2, 1, 0, 1]
    metric = build(train_ann_file=str(ann))
    y_true, scores = [0, 1, 2, 3], np.eye(4, dtype=np.float32)
    metric.process(None, samples(y_true, scores))
    result = metric.evaluate(4)
    assert result['cls/accuracy'] == 1.0
    assert result['cls/baseline_accuracy'] == pytest.approx((2 + 1 + 0 + 1) / 4 / 4)
    (tmp_path / 'bad.txt').write_text('x.jpg 0\ny.jpg 7\n')
    with pytest.raises(ValueError, match='bad.txt:2: label 7'):
        class_counts_from_list(tmp_path / 'bad.txt', 4)


def test_unlabelled_test_list_gives_no_metrics():
    metric = build()
    metric.process(None, samples([-1, -1], np.eye(4, dtype=np.float32)[:2]))
    assert metric.evaluate(2) == {}


def _rank(rank: int, world: int, port: int, y_true, scores, queue) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.distributed.init_process_group('gloo', rank=rank, world_size=world)
    try:
        n = len(y_true)
        padded = list(range(n)) + list(range(world - n % world if n % world else 0))
        mine = padded[rank::world]  # what a DistributedSampler hands this rank (with repeats)
        metric = build(train_counts=[1, 1, 1, 1])
        metric.process(None, samples(y_true[mine], scores[mine]))
        result = metric.evaluate(n)
        if rank == 0:
            queue.put(result)
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_two_ranks_score_like_one():
    y_true, scores = fixture(n=31, seed=1)  # odd: the sampler repeats one sample
    single = build(train_counts=[1, 1, 1, 1])
    single.process(None, samples(y_true, scores))
    expected = single.evaluate(len(y_true))
    ctx = torch.multiprocessing.get_context('spawn')
    queue = ctx.SimpleQueue()
    torch.multiprocessing.start_processes(_rank, args=(2, free_port(), y_true, scores, queue),
                                          nprocs=2, start_method='spawn')
    assert queue.get() == pytest.approx(expected)
