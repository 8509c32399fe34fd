"""Detector dumps grouped by video, counted per class; detector class names from .txt or COCO."""
from __future__ import annotations

import json

import pytest

from custom_modules.postprocess import (
    PostprocessError,
    count_detections,
    load_detection_scores,
    read_class_names,
)

from .cases import DET_CLASSES, det_dump


def test_count_detections_groups_by_video(tmp_path):
    path = det_dump(tmp_path / 'det.pkl', {
        'v1/img_00001.jpg': [(1, 0.95), (1, 0.5), (0, 0.99)],
        'v1/img_00002.jpg': [(1, 0.92), (2, 0.7)],
        'v2/img_00001.jpg': [(2, 0.6), (2, 0.4)],
        'v3/img_00001.jpg': [],
    })
    det = load_detection_scores(path, DET_CLASSES)
    assert sorted(det) == ['v1', 'v2', 'v3']
    assert count_detections(det, 'ride_kick', 0.9) == {'v1': 2, 'v2': 0, 'v3': 0}
    assert count_detections(det, 'fall_down', 0.5) == {'v1': 1, 'v2': 1, 'v3': 0}


def test_detection_label_out_of_range(tmp_path):
    path = det_dump(tmp_path / 'det.pkl', {'v1/img_00001.jpg': [(3, 0.9)]})
    with pytest.raises(PostprocessError, match=r'det.pkl: frame #0 .*v1/img_00001.jpg.*label 3'):
        load_detection_scores(path, DET_CLASSES)


def test_read_class_names_coco_and_txt(tmp_path):
    coco = tmp_path / 'c.json'
    coco.write_text(json.dumps({'categories': [{'id': 5, 'name': 'ball'},
                                               {'id': 2, 'name': 'box'}]}))
    assert read_class_names(coco) == ['ball', 'box']
    txt = tmp_path / 'c.txt'
    txt.write_text('a\n\nb\n')
    assert read_class_names(txt) == ['a', 'b']
