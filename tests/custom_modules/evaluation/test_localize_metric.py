"""LocalizeMetric against a hand computation, with and without test images, across 2 ranks."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from mmpretrain.registry import METRICS

import custom_modules  # noqa: F401  (registration)
from custom_modules.evaluation.localize_metric import box_iou
from tests.conftest import free_port

# pred box, gt box, pred label, gt label; IoUs worked out by hand below.
CASES = [
    ([0, 0, 10, 10], [0, 0, 10, 10], 1, 1),     # identical: IoU 1
    ([0, 0, 10, 10], [5, 0, 15, 10], 0, 0),     # inter 50, union 150: 1/3
    ([0, 0, 10, 10], [20, 20, 30, 30], 1, 0),   # disjoint: 0
    ([0, 0, 20, 10], [0, 0, 10, 10], 0, 1),     # inter 100, union 200: 1/2
    ([2, 2, 12, 12], [0, 0, 10, 10], 1, 1),     # inter 64, union 136: 8/17
]
IOUS = [1.0, 1 / 3, 0.0, 0.5, 64 / 136]


def samples(cases=CASES) -> list[dict]:
    return [dict(pred_bbox=torch.tensor(p, dtype=torch.float32), ori_bbox=np.array(g, np.float32),
                 pred_label=torch.tensor([pl]), gt_label=torch.tensor([gl]))
            for p, g, pl, gl in cases]


def test_box_iou_by_hand():
    np.testing.assert_allclose(box_iou([c[0] for c in CASES], [c[1] for c in CASES]), IOUS)


def test_metric_equals_hand_computation():
    metric = METRICS.build(dict(type='LocalizeMetric', iou_thrs=(0.4, 0.5, 0.75)))
    metric.process({}, samples()[:2])
    metric.process({}, samples()[2:])
    result = metric.evaluate(len(CASES))
    assert result['loc/mIoU'] == pytest.approx(sum(IOUS) / 5)
    assert result['loc/accuracy'] == pytest.approx(3 / 5)
    assert result['loc/IoU@0.4'] == pytest.approx(3 / 5)  # 1, 1/2, 8/17
    assert result['loc/IoU@0.5'] == pytest.approx(2 / 5)
    assert result['loc/IoU@0.75'] == pytest.approx(1 / 5)


def test_test_images_without_boxes_are_skipped():
    metric = METRICS.build(dict(type='LocalizeMetric'))
    unlabeled = [dict(pred_bbox=torch.zeros(4), pred_label=torch.tensor([0]))]
    metric.process({}, unlabeled)
    assert metric.compute_metrics(metric.results) == {}
    metric.process({}, samples()[:1])
    assert metric.compute_metrics(metric.results)['mIoU'] == pytest.approx(1.0)
    with pytest.raises(KeyError, match='pred_bbox'):
        metric.process({}, [dict(ori_bbox=np.zeros(4), gt_label=torch.tensor([0]))])


def _rank(rank: int, port: int, out: str) -> None:
    torch.distributed.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                                         rank=rank, world_size=2)
    metric = METRICS.build(dict(type='LocalizeMetric'))
    data = samples()
    mine = data[rank::2]  # DefaultSampler's split: ranks interleave ...
    if rank == 1:
        mine = mine + [data[0]]  # ... and the shorter rank is padded with the first sample
    metric.process({}, mine)
    result = metric.evaluate(len(data))  # gathers, drops the padding, scores on rank 0
    if rank == 0:
        with open(out, 'w') as f:
            json.dump(result, f)
    torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_gathered_across_two_ranks(tmp_path):
    out = tmp_path / 'result.json'
    mp.spawn(_rank, args=(free_port(), str(out)), nprocs=2, join=True)
    result = json.loads(out.read_text())
    assert result['loc/mIoU'] == pytest.approx(sum(IOUS) / 5)
    assert result['loc/accuracy'] == pytest.approx(3 / 5)
